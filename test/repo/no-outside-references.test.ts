import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The repository explains itself (docs/conventions.md "Comments and docs"): code, comments, test
 * names and docs cite docs/ pages, vendor references or RFCs, never a tracker's numbers or files a
 * clone does not have. A reference like that is a dead end for the next maintainer.
 */
const ROOT = join(import.meta.dirname, '../..');
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'data', 'build', '.svelte-kit', 'test-artifacts', '.cache']);
const EXTENSIONS = /\.(ts|mts|js|mjs|cjs|svelte|md|yaml|yml|sh)$|(^|\/)Dockerfile[^/]*$/;

// Built from pieces so this file does not match itself.
const OUTSIDE: ReadonlyArray<readonly [RegExp, string]> = [
  [new RegExp(['DESIGN', '(\\.md|\\s*§)'].join('')), 'a design file outside the repository'],
  [new RegExp(['HOUSE', '-STYLE'].join('')), 'a style guide outside the repository'],
  [new RegExp(['MACHINE', '-NOTES'].join('')), 'machine notes outside the repository'],
  [new RegExp(['/work', '/'].join('')), 'an absolute path of one machine'],
  [new RegExp(['(\\.\\./)+sha', 'red/|sha', 'red/seed'].join('')), 'a path outside the repository'],
  [new RegExp(['\\b[Ii]ssue', ' #?\\d+'].join('')), 'an issue number of a tracker the repository does not have'],
  [new RegExp(['\\(#', '\\d+\\)'].join('')), 'an issue or pull-request number'],
];

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) yield* files(join(dir, entry.name));
    } else if (EXTENSIONS.test(entry.name)) yield join(dir, entry.name);
  }
}

/** `path:line: text (why)` for every line that points outside the repository. */
function outsideReferences(root: string): string[] {
  const found: string[] = [];
  for (const file of files(root)) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const [pattern, why] of OUTSIDE) {
        if (pattern.test(line)) found.push(`${relative(root, file)}:${i + 1}: ${line.trim()} (${why})`);
      }
    });
  }
  return found;
}

describe('references stay inside the repository', () => {
  it('no code, comment, test name or doc points at a file or tracker outside it', () => {
    expect(outsideReferences(ROOT)).toEqual([]);
  });

  it('the check finds each kind of outside reference', () => {
    const samples = [
      ['see ', 'DESIGN', '.md §2'],
      ['the ', 'HOUSE', '-STYLE rules'],
      ['per ', 'MACHINE', '-NOTES'],
      ['verbatim from /', 'work/sha', 'red/seed/x.txt'],
      ['fixtures in ../../', 'sha', 'red/seed'],
      ['fixed in ', 'issue', ' 12'],
      ['regression (', '#', '42)'],
    ].map((parts) => parts.join(''));
    for (const sample of samples)
      expect(
        OUTSIDE.some(([pattern]) => pattern.test(sample)),
        sample,
      ).toBe(true);
    for (const fine of ['docs/architecture.md "Propagation"', "chat(h, 'provider/shared/m1')", 'finding 1'])
      expect(
        OUTSIDE.some(([pattern]) => pattern.test(fine)),
        fine,
      ).toBe(false);
  });
});
