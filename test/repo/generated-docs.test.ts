import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replaceGenerated, scaleParts, sealGenerated, sealProblem } from '../bench/doc-seal';

/**
 * docs/benchmarks.md's tables are written by `pnpm bench` (docs/conventions.md "Comments and docs"):
 * the page must show what a run measured, never a figure typed in afterwards. The fault scorecard in
 * docs/reliability.md is checked by its own suite (test/scenarios/fault-scorecard.test.ts).
 */
const doc = readFileSync(join(import.meta.dirname, '../../docs/benchmarks.md'), 'utf8');

describe('generated docs', () => {
  it('docs/benchmarks.md: the generated part is exactly what `pnpm bench` wrote', () => {
    expect(sealProblem(doc)).toBeNull();
  });

  it('docs/benchmarks.md: each "Scale" part is exactly what `pnpm bench:scale` wrote', () => {
    const parts = scaleParts(doc);
    expect(parts).toContain('pnpm bench:scale 1000 users');
    for (const part of parts) expect([part, sealProblem(doc, part)]).toEqual([part, null]);
  });

  it('a scale run replaces only its own part', () => {
    const one = replaceGenerated('# B\n', '| 1k | 5 |', 'pnpm bench:scale 1000 users');
    const two = replaceGenerated(one, '| 100k | 9 |', 'pnpm bench:scale 100000 users');
    const again = replaceGenerated(two, '| 1k | 6 |', 'pnpm bench:scale 1000 users');
    expect(again).toContain('| 100k | 9 |');
    expect(again).toContain('| 1k | 6 |');
    expect(again).not.toContain('| 1k | 5 |');
    expect(scaleParts(again)).toEqual(['pnpm bench:scale 1000 users', 'pnpm bench:scale 100000 users']);
    for (const part of scaleParts(again)) expect(sealProblem(again, part)).toBeNull();
    expect(sealProblem(again.replace('| 6 |', '| 7 |'), 'pnpm bench:scale 1000 users')).toMatch(/differs/);
  });

  it('a figure changed by hand breaks the seal; hand-written sections after it may change', () => {
    const sealed = sealGenerated('# Benchmarks\n\n| target | req/s |\n|---|---:|\n| aisbf | 1234 |\n');
    const handWritten = '\n## Notes (written by hand, not by `pnpm bench`)\n\nanything\n';
    expect(sealProblem(sealed + handWritten)).toBeNull();
    expect(sealProblem(sealed.replace('1234', '2345') + handWritten)).toMatch(/differs/);
    expect(sealProblem(sealed + handWritten.replace('anything', 'else'))).toBeNull();
    expect(sealProblem('# Benchmarks\n\n| aisbf | 1234 |\n')).toMatch(/no seal/);
  });
});
