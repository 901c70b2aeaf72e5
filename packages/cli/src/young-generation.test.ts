import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { capYoungGeneration } from './young-generation';

const MIB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'aisbf-young-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const moduleFile = fileURLToPath(new URL('./young-generation.ts', import.meta.url));

/**
 * A fresh process (the young generation grows from its start size, as in a node that boots) that
 * allocates like a server under load: every tick a burst of small objects, a window of them kept
 * alive for a while, so scavenges see survivors and V8 grows the space. Prints the largest new
 * space it saw, MiB.
 */
async function largestNewSpace(capMiB: number | null, nodeArgs: string[] = []): Promise<number> {
  const script = join(dir, `child-${capMiB ?? 'none'}-${nodeArgs.length}.mts`);
  writeFileSync(
    script,
    [
      `import { getHeapSpaceStatistics } from 'node:v8';`,
      `import { capYoungGeneration } from ${JSON.stringify(moduleFile)};`,
      capMiB === null
        ? ''
        : `capYoungGeneration(${capMiB}, { execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS });`,
      `const size = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;`,
      `let largest = size();`,
      `let window = [];`,
      `for (let tick = 0; tick < 400; tick++) {`,
      `  for (let i = 0; i < 4000; i++) window.push({ tick, i, text: 'chunk ' + i });`,
      `  if (window.length > 60000) window = window.slice(30000);`,
      `  largest = Math.max(largest, size());`,
      `  await new Promise((resolve) => setImmediate(resolve));`,
      `}`,
      `process.stdout.write(String(largest));`,
    ].join('\n'),
  );
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { PATH: process.env['PATH'] ?? '' },
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(0);
  return Number(out) / MIB;
}

describe('capYoungGeneration', () => {
  it('keeps the new space at the cap where V8 alone grows it past', async () => {
    const [alone, capped] = await Promise.all([largestNewSpace(null), largestNewSpace(8)]);
    // Without the cap the same allocations take the new space past 8 MiB (V8's own limit is 32).
    expect(alone).toBeGreaterThan(8);
    expect(capped).toBeLessThanOrEqual(8);
  }, 30_000);

  it('changes nothing when the operator set a young-generation flag', async () => {
    expect(capYoungGeneration(8, { execArgv: ['--max-semi-space-size=16'], nodeOptions: undefined })).toEqual({
      kind: 'operator',
    });
    expect(capYoungGeneration(8, { execArgv: [], nodeOptions: '--semi-space-growth-factor=4' })).toEqual({
      kind: 'operator',
    });
    // The operator's flag is what the process gets: the cap does not pull it back to 8 MiB.
    expect(await largestNewSpace(8, ['--max-semi-space-size=16'])).toBeGreaterThan(8);
  }, 30_000);
});
