/**
 * The string that the JSON string literal `text.slice(from, to)` (quotes included) stands for, or
 * null when that slice is not exactly one literal (an unescaped quote inside, a raw control
 * character, an escape cut at the end). Read in place, because the stream paths hand over offsets
 * into an upstream read: a literal without escapes costs one scan and one slice, no `JSON.parse`
 * (docs/benchmarks.md).
 */
export function readJsonStringLiteral(text: string, from: number, to: number): string | null {
  if (to - from < 2 || text.charCodeAt(from) !== 0x22 || text.charCodeAt(to - 1) !== 0x22) return null;
  let escaped = false;
  for (let i = from + 1; i < to - 1; i++) {
    const c = text.charCodeAt(i);
    // An unescaped quote would end the string early; JSON forbids raw control characters in strings.
    if (c === 0x22 || c < 0x20) return null;
    if (c === 0x5c) {
      escaped = true;
      i++;
      if (i >= to - 1) return null;
    }
  }
  if (!escaped) return text.slice(from + 1, to - 1);
  try {
    const value: unknown = JSON.parse(text.slice(from, to));
    return typeof value === 'string' ? value : null;
  } catch {
    return null;
  }
}
