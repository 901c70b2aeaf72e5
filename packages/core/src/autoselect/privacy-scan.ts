import type { PrivacyCategory } from './privacy-category';

/**
 * The scanning machinery behind the privacy rules. Speed matters (docs/autoselect.md: < 1 ms at 32 KB), and a
 * regex pass over the whole text costs the same whether it finds anything or not, so the text is read
 * in two shared passes (docs/autoselect.md "The detector"):
 *   1. one alternation of every rule keyword (`pass`, `token`, `sk-`, `birth`, …) over the lower-cased
 *      text, recording where each keyword occurs;
 *   2. one pass over runs of digits (the start of every card, phone, IP and national-id number).
 * Rules then run small sticky (`y`) patterns only at those places. Rules with a cheap, rare anchor of
 * their own (`@`, an upper-case IBAN shape) keep a global pattern.
 */
export interface ScanContext {
  readonly text: string;
  /** Indices where `keyword` (one of KEYWORDS, lower-case) starts. */
  hits(keyword: string): readonly number[];
  /** Indices where a digit run of 6+ characters starts, plus each digit after a space or `(` in it. */
  readonly digitStarts: readonly number[];
}

export interface PrivacyRule {
  category: PrivacyCategory;
  /** Keywords the rule is found by (lower-case); they join the shared keyword pass. */
  keywords?: readonly string[];
  /** True when the text holds at least one finding of this rule. */
  scan(ctx: ScanContext): boolean;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The keywords as a trie-shaped alternation (`a(?:kia|sia|uth)|b(?:earer|asic)|…`): V8 tries a flat
 * alternation's branches one by one at every position, while here each position costs one
 * first-character test. A keyword that is a prefix of another matches the longer one when present.
 */
export function trieSource(words: readonly string[]): string {
  const byFirst = new Map<string, string[]>();
  for (const word of words) {
    const first = word[0];
    if (first === undefined) continue;
    const rest = byFirst.get(first);
    if (rest === undefined) byFirst.set(first, [word.slice(1)]);
    else rest.push(word.slice(1));
  }
  const branches: string[] = [];
  for (const [first, rests] of byFirst) {
    const longer = rests.filter((r) => r !== '');
    const endsHere = longer.length < rests.length;
    if (longer.length === 0) branches.push(escape(first));
    else branches.push(`${escape(first)}(?:${trieSource(longer)})${endsHere ? '?' : ''}`);
  }
  return branches.join('|');
}

/** Builds the shared keyword pass for a rule set: one trie-shaped regex over the lower-cased text. */
export function createScanner(rules: readonly PrivacyRule[]): (text: string) => ScanContext {
  const keywords = [...new Set(rules.flatMap((r) => r.keywords ?? []))];
  const source = trieSource(keywords);
  const onLower = new RegExp(source, 'g');
  const onText = new RegExp(source, 'gi');
  const digitRun = /\d[\d .()/-]{4,}\d/g;

  return (text) => {
    const byKeyword = new Map<string, number[]>();
    const lower = text.toLowerCase();
    // Lower-casing keeps indices for ASCII; a few Unicode letters change length (İ → i̇), then the
    // slower case-insensitive pass over the original text keeps positions right.
    const sameLength = lower.length === text.length;
    const pass = sameLength ? onLower : onText;
    const subject = sameLength ? lower : text;
    pass.lastIndex = 0;
    for (let m = pass.exec(subject); m !== null; m = pass.exec(subject)) {
      const key = sameLength ? m[0] : m[0].toLowerCase();
      const list = byKeyword.get(key);
      if (list === undefined) byKeyword.set(key, [m.index]);
      else list.push(m.index);
    }

    const digitStarts: number[] = [];
    digitRun.lastIndex = 0;
    for (let m = digitRun.exec(text); m !== null; m = digitRun.exec(text)) {
      digitStarts.push(m.index);
      const run = m[0];
      for (let i = 1; i < run.length - 1 && digitStarts.length < 100_000; i++) {
        const c = run.charCodeAt(i);
        const prev = run[i - 1];
        if (c >= 48 && c <= 57 && (prev === ' ' || prev === '(')) digitStarts.push(m.index + i);
      }
    }
    const none: readonly number[] = [];
    return { text, hits: (k) => byKeyword.get(k) ?? none, digitStarts };
  };
}

export interface MatchOptions {
  /** Turns a shape into a finding (checksum, entropy, placeholder, reserved ranges). */
  accept?: (m: RegExpExecArray, text: string) => boolean;
  /**
   * The character before a match must not be one of these (checked here: a leading lookbehind
   * would make V8 try it at every position).
   */
  notAfter?: RegExp;
}

function matchAt(pattern: RegExp, text: string, start: number, options: MatchOptions): boolean {
  if (start < 0 || start >= text.length) return false;
  if (options.notAfter !== undefined && start > 0 && options.notAfter.test(text[start - 1] ?? '')) return false;
  pattern.lastIndex = start;
  const m = pattern.exec(text);
  return m !== null && (options.accept?.(m, text) ?? true);
}

const sticky = (category: PrivacyCategory, pattern: RegExp): void => {
  if (!pattern.sticky) throw new Error(`privacy rule for ${category} needs the y flag`);
};

/** A rule found from keywords: its sticky pattern runs where a keyword occurs (or at `startAt` of it). */
export function keywordRule(
  category: PrivacyCategory,
  keywords: readonly string[],
  pattern: RegExp,
  options: MatchOptions & { startAt?: (text: string, hit: number) => number } = {},
): PrivacyRule {
  sticky(category, pattern);
  const startAt = options.startAt ?? ((_t: string, hit: number) => hit);
  return {
    category,
    keywords,
    scan(ctx) {
      for (const keyword of keywords) {
        for (const hit of ctx.hits(keyword))
          if (matchAt(pattern, ctx.text, startAt(ctx.text, hit), options)) return true;
      }
      return false;
    },
  };
}

/** A rule for numbers: its sticky pattern runs at each digit-run start, shifted by `offsets` (`(`, `+`, `AB `). */
export function digitRule(
  category: PrivacyCategory,
  pattern: RegExp,
  options: MatchOptions & { offsets?: readonly number[] } = {},
): PrivacyRule {
  sticky(category, pattern);
  const offsets = options.offsets ?? [0];
  return {
    category,
    scan(ctx) {
      for (const start of ctx.digitStarts) {
        for (const offset of offsets) if (matchAt(pattern, ctx.text, start + offset, options)) return true;
      }
      return false;
    },
  };
}

/** A rule with a global pattern over the whole text, for shapes with a cheap rare anchor of their own. */
export function globalRule(category: PrivacyCategory, pattern: RegExp, options: MatchOptions = {}): PrivacyRule {
  if (!pattern.global) throw new Error(`privacy rule for ${category} needs the g flag`);
  return {
    category,
    scan(ctx) {
      const { text } = ctx;
      pattern.lastIndex = 0;
      for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
        const boundaryOk =
          options.notAfter === undefined || m.index === 0 || !options.notAfter.test(text[m.index - 1] ?? '');
        if (boundaryOk && (options.accept?.(m, text) ?? true)) return true;
        pattern.lastIndex = m.index + 1;
      }
      return false;
    },
  };
}
