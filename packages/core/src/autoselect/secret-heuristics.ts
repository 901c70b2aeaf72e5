/**
 * Heuristics that separate a real secret value from the look-alikes around it in code and docs:
 * identifiers, property paths, type names, template placeholders and `xxxx` fillers.
 */

/** Shannon entropy in bits per character. */
export function entropyBits(value: string): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

function classes(value: string): { lower: number; upper: number; digit: number; other: number } {
  const out = { lower: 0, upper: 0, digit: 0, other: 0 };
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 97 && c <= 122) out.lower++;
    else if (c >= 65 && c <= 90) out.upper++;
    else if (c >= 48 && c <= 57) out.digit++;
    else out.other++;
  }
  return out;
}

const DOTTED_PATH = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;

/**
 * A token body that looks machine-generated: two or more character classes, a digit (or the `+`/`/`
 * of base64), and enough entropy. `sk-your-api-key-here` and `ghp_xxxxxxxx…` are placeholders, not
 * secrets; `env.API_TOKEN` in code is a property path.
 */
export function looksRandom(value: string, minLength = 16): boolean {
  if (value.length < minLength) return false;
  if (DOTTED_PATH.test(value)) return false;
  const k = classes(value);
  const kinds = (k.lower > 0 ? 1 : 0) + (k.upper > 0 ? 1 : 0) + (k.digit > 0 ? 1 : 0);
  if (kinds < 2) return false;
  if (k.digit === 0 && !/[+/]/.test(value)) return false;
  return entropyBits(value) >= 3;
}

const PLACEHOLDER_WORDS = new Set([
  'string',
  'str',
  'number',
  'int',
  'integer',
  'bool',
  'boolean',
  'any',
  'unknown',
  'none',
  'null',
  'nil',
  'undefined',
  'true',
  'false',
  'optional',
  'required',
  'text',
  'varchar',
  'char',
  'bytes',
  'secret',
  'password',
  'passwd',
  'pass',
  'pwd',
  'your_password',
  'yourpassword',
  'mypassword',
  'redacted',
  'hidden',
  'masked',
  'example',
  'placeholder',
  'empty',
  'value',
  'todo',
  'tbd',
  'field',
  'input',
  'type',
]);

/** `${DB_PASS}`, `<password>`, `%s`, `****`, `xxx`, `...`, `string` and friends stand for a value. */
export function isPlaceholder(value: string): boolean {
  if (value === '') return true;
  const first = value[0] ?? '';
  if ('$<{%*[(#&@'.includes(first)) return true;
  if (/^(?:x+|\*+|\.+|-+|_+|\?+|0+)$/i.test(value)) return true;
  if (/^(?:x{3,}|\.{3})/i.test(value)) return true;
  return PLACEHOLDER_WORDS.has(value.toLowerCase().replace(/[;,)]+$/, ''));
}

/** An identifier or call (`req.body.password`, `getPassword()`, `userPassword`): code, not a value. */
export function isCodeExpression(value: string): boolean {
  return /^[A-Za-z_$][\w$]*(?:[.([]|$)/.test(value) && !/\d/.test(value) && !/[!#%^&*+=~]/.test(value);
}
