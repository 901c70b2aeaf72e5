import { RE2JS } from 're2js';
import { err, ok, type Result } from '../result';

/**
 * Regular expressions written by tenants (an autoselect's `private_patterns`) run on the data plane's
 * event loop, against whole conversations. JavaScript's backtracking engine can take exponential time
 * (`^(a+)+$` against thirty `a` and a `!` stalled every tenant for 37 s), so they are compiled with
 * RE2's linear-time engine (re2js, pure JavaScript) and bounded here, the one place that compiles
 * them (docs/security.md, second review, finding 2). RE2 syntax has no backreferences or lookaround;
 * such a pattern is refused when it is saved.
 */
export const USER_PATTERN_LIMITS = Object.freeze({
  /** Characters of one pattern. */
  maxLength: 500,
  /** Patterns in one list. */
  maxCount: 100,
  /**
   * Compiled instructions of one pattern, and of a whole list. Matching costs at most (instructions ×
   * text length); `a{1000}` alone is 1,000, a plain phrase a few dozen.
   */
  maxProgramSize: 1000,
  maxTotalProgramSize: 4000,
});

/** A compiled list of tenant patterns: `test` is case-insensitive, linear in the text and never throws. */
export interface UserPatterns {
  readonly count: number;
  test(text: string): boolean;
}

const FLAGS = RE2JS.CASE_INSENSITIVE;

/** How a pattern is named in an error: quoted, cut short, so a 500-character pattern does not flood it. */
function quote(source: string): string {
  const shown = source.length > 60 ? `${source.slice(0, 57)}…` : source;
  return JSON.stringify(shown);
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^error parsing regexp: /, '');
}

/** Compiles one pattern, or says why it cannot be used, naming it. */
function compileOne(source: string): Result<RE2JS> {
  if (source.length > USER_PATTERN_LIMITS.maxLength)
    return err(`pattern ${quote(source)} is longer than ${USER_PATTERN_LIMITS.maxLength} characters`);
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(source, FLAGS);
  } catch (error) {
    return err(
      `pattern ${quote(source)} is not supported: ${reasonOf(error)} (RE2 syntax: no backreferences or lookaround)`,
    );
  }
  if (compiled.programSize() > USER_PATTERN_LIMITS.maxProgramSize)
    return err(
      `pattern ${quote(source)} is too complex (${compiled.programSize()} instructions, at most ${USER_PATTERN_LIMITS.maxProgramSize}); use smaller repeat counts`,
    );
  return ok(compiled);
}

/** One problem per offending pattern (index into the list), for config validation at save time. */
export function userPatternIssues(sources: readonly string[]): { index: number | null; message: string }[] {
  if (sources.length > USER_PATTERN_LIMITS.maxCount)
    return [{ index: null, message: `at most ${USER_PATTERN_LIMITS.maxCount} patterns` }];
  const issues: { index: number | null; message: string }[] = [];
  let total = 0;
  for (const [index, source] of sources.entries()) {
    const compiled = compileOne(source);
    if (compiled.ok) total += compiled.value.programSize();
    else issues.push({ index, message: compiled.error });
  }
  if (issues.length === 0 && total > USER_PATTERN_LIMITS.maxTotalProgramSize)
    issues.push({
      index: null,
      message: `the patterns are too complex together (${total} instructions, at most ${USER_PATTERN_LIMITS.maxTotalProgramSize})`,
    });
  return issues;
}

/**
 * Compiles a list for matching. The list is one alternation, so the text is read once whatever the
 * number of patterns (RE2 scopes inline flags to their group, so patterns do not affect each other).
 * An error names the first offending pattern; callers decide what an unusable list means (the
 * autoselect treats the request as private).
 */
export function compileUserPatterns(sources: readonly string[], field = 'private_patterns'): Result<UserPatterns> {
  const issues = userPatternIssues(sources);
  const first = issues[0];
  if (first !== undefined)
    return err(first.index === null ? `${field}: ${first.message}` : `${field}[${first.index}]: ${first.message}`);
  if (sources.length === 0) return ok({ count: 0, test: () => false });
  let combined: RE2JS;
  try {
    combined = RE2JS.compile(sources.map((s) => `(?:${s})`).join('|'), FLAGS);
  } catch (error) {
    return err(`${field}: ${reasonOf(error)}`);
  }
  return ok({
    count: sources.length,
    test(text) {
      try {
        return combined.test(text);
      } catch {
        // Never expected of RE2; if it happens, a pattern that cannot be checked counts as a hit,
        // so a private request is not let through.
        return true;
      }
    },
  });
}
