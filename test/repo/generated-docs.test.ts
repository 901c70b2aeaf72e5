import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sealGenerated, sealProblem } from '../bench/doc-seal';

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

  it('a figure changed by hand breaks the seal; hand-written sections after it may change', () => {
    const sealed = sealGenerated('# Benchmarks\n\n| target | req/s |\n|---|---:|\n| aisbf | 1234 |\n');
    const handWritten = '\n## Notes (written by hand, not by `pnpm bench`)\n\nanything\n';
    expect(sealProblem(sealed + handWritten)).toBeNull();
    expect(sealProblem(sealed.replace('1234', '2345') + handWritten)).toMatch(/differs/);
    expect(sealProblem(sealed + handWritten.replace('anything', 'else'))).toBeNull();
    expect(sealProblem('# Benchmarks\n\n| aisbf | 1234 |\n')).toMatch(/no seal/);
  });
});
