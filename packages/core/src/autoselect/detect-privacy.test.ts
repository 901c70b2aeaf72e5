import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePrivatePatterns, detectPrivacy } from './detect-privacy';
import { PRIVACY_CATEGORIES } from './privacy-category';

describe('detectPrivacy', () => {
  it('never throws on arbitrary message shapes, and is deterministic', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 6 }), (messages) => {
        const a = detectPrivacy(messages);
        expect(detectPrivacy(messages)).toEqual(a);
        expect(a.findings.every((f) => PRIVACY_CATEGORIES.includes(f))).toBe(true);
        expect(a.private).toBe(a.findings.length > 0);
      }),
      { numRuns: 150 },
    );
  });

  it('scans arbitrary text without throwing', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400, unit: 'grapheme' }), (text) => void detectPrivacy(text)),
      { numRuns: 100 },
    );
  });

  // Catastrophic backtracking would take seconds to hours on these; linear scanning takes milliseconds.
  // The bound is loose on purpose: the machine is shared, and the point is the order of magnitude.
  it.each([
    ['letters', 'a'.repeat(300_000)],
    ['digit groups', '1 '.repeat(150_000)],
    ['at signs', 'x@'.repeat(150_000)],
    ['password assignments', 'pass='.repeat(60_000)],
    ['key assignments', 'api_key='.repeat(40_000)],
    ['jwt prefixes', 'eyJ.'.repeat(75_000)],
    ['pem headers', '-----BEGIN '.repeat(25_000)],
    ['colons', '2a00:'.repeat(60_000)],
    ['dotted digits', '1.'.repeat(150_000)],
    ['iban-like', 'DE12 '.repeat(60_000)],
    ['scheme separators', 'a://b:'.repeat(50_000)],
    ['csv header lines', 'email,phone,address\n'.repeat(15_000)],
  ])('stays linear on pathological input: %s', (_name, text) => {
    const started = performance.now();
    detectPrivacy(text);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('applies extra patterns on every call', () => {
    const compiled = compilePrivatePatterns(['codename\\s+falcon']);
    if (!compiled.ok) throw new Error(compiled.error);
    const patterns = compiled.value;
    expect(detectPrivacy('about CODENAME Falcon', { extraPatterns: patterns }).findings).toEqual(['custom']);
    expect(detectPrivacy('about CODENAME Falcon', { extraPatterns: patterns }).findings).toEqual(['custom']);
    expect(detectPrivacy('about the weather', { extraPatterns: patterns }).private).toBe(false);
  });

  it('reports categories in a fixed order, without the matched text', () => {
    const verdict = detectPrivacy([
      { role: 'user', content: 'IBAN DE89370400440532013000, mail jane.doe@gmail.com, Passwort: Geheim123' },
    ]);
    expect(verdict.findings).toEqual(['password', 'email', 'iban']);
    expect(JSON.stringify(verdict)).not.toContain('Geheim123');
  });

  it('compiles private_patterns case-insensitively and reports a bad one', () => {
    const ok = compilePrivatePatterns(['bluebird']);
    expect(ok.ok && ok.value.test('BLUEBIRD')).toBe(true);
    const bad = compilePrivatePatterns(['bluebird', '(unclosed']);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(
      /^private_patterns\[1\]: pattern "\(unclosed" is not supported: missing closing \)/,
    );
  });
});
