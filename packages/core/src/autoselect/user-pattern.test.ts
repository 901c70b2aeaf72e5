import { describe, expect, it } from 'vitest';
import { autoselectConfigSchema } from '../config/autoselect-config.schema';
import { detectPrivacy } from './detect-privacy';
import { compileUserPatterns, USER_PATTERN_LIMITS, userPatternIssues } from './user-pattern';

function compiled(sources: string[]) {
  const result = compileUserPatterns(sources);
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

describe('tenant regular expressions (docs/security.md, second review, finding 2)', () => {
  it('the catastrophic-backtracking pattern that stalled the event loop answers in milliseconds', () => {
    const patterns = compiled(['^(a+)+$']);
    const evil = `${'a'.repeat(30)}!`;
    const started = performance.now();
    const hit = patterns.test(evil);
    const elapsed = performance.now() - started;
    expect(hit).toBe(false);
    expect(elapsed).toBeLessThan(200);
    // Through the detector as the data plane runs it, on a conversation a thousand times longer.
    const big = `${'a'.repeat(30_000)}!`;
    const t0 = performance.now();
    expect(detectPrivacy([{ role: 'user', content: big }], { extraPatterns: patterns }).private).toBe(false);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(patterns.test('a'.repeat(30))).toBe(true);
  });

  it('matches case-insensitively, any pattern of the list', () => {
    const patterns = compiled(['project\\s+bluebird', 'ACME-\\d{6}', '(?P<code>falcon)']);
    expect(patterns.test('about PROJECT   Bluebird')).toBe(true);
    expect(patterns.test('ticket acme-123456')).toBe(true);
    expect(patterns.test('Falcon')).toBe(true);
    expect(patterns.test('about the weather')).toBe(false);
    expect(compiled([]).test('anything')).toBe(false);
  });

  it('inline flags stay inside their own pattern', () => {
    const patterns = compiled(['(?-i)Secret', 'other']);
    expect(patterns.test('Secret')).toBe(true);
    expect(patterns.test('SECRET')).toBe(false);
    expect(patterns.test('OTHER')).toBe(true);
  });

  it.each([
    ['a backreference', '(a)\\1', /not supported: invalid escape sequence/],
    ['a lookahead', 'foo(?=bar)', /not supported: .*Perl syntax/],
    ['a lookbehind', '(?<=a)b', /not supported/],
    ['a possessive quantifier', 'a++', /not supported/],
    ['unbalanced', '(unclosed', /not supported: missing closing \)/],
    ['a huge repeat', 'x{1001}', /not supported: invalid repeat count/],
    ['too many instructions', '\\pL{999}\\pN{999}', /too complex \(\d+ instructions, at most 1000\)/],
  ])('refuses %s, naming the pattern', (_name, source, reason) => {
    const issues = userPatternIssues(['fine', source]);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.index).toBe(1);
    expect(issues[0]?.message).toContain(JSON.stringify(source));
    expect(issues[0]?.message).toMatch(reason);
    const result = compileUserPatterns(['fine', source]);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(/^private_patterns\[1\]: pattern /);
  });

  it('bounds the length, the count and the whole list', () => {
    const long = 'a'.repeat(USER_PATTERN_LIMITS.maxLength + 1);
    expect(userPatternIssues([long])[0]?.message).toMatch(/longer than 500 characters/);
    expect(userPatternIssues(Array.from({ length: 101 }, (_, i) => `p${i}`))).toEqual([
      { index: null, message: 'at most 100 patterns' },
    ]);
    const heavy = Array.from({ length: 5 }, (_, i) => `x{990}${i}`);
    expect(userPatternIssues(heavy)).toEqual([
      { index: null, message: expect.stringMatching(/too complex together \(\d+ instructions, at most 4000\)/) },
    ]);
  });

  it('the autoselect schema refuses an unsupported pattern at save time with a message naming it', () => {
    const parsed = autoselectConfigSchema.safeParse({
      fallback: 'a/b',
      classify_semantic: false,
      available_models: [{ model_id: 'a/b' }],
      private_patterns: ['bluebird', '(x)\\1'],
    });
    expect(parsed.success).toBe(false);
    const issue = parsed.error?.issues[0];
    expect(issue?.path).toEqual(['private_patterns', 1]);
    expect(issue?.message).toContain('"(x)\\\\1" is not supported');
  });
});
