import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnService } from '../../packages/testkit/src/index';
import { bundle, bundleCli, bundleTempDir } from '../../scripts/bundle';
import { productionRoleStreams } from './production-role-streams';
import { MOCK_MODELS } from './shapes';

/**
 * `pnpm exec tsx test/bench/memory-row.ts [streams] [node flags…]`: only `pnpm bench`'s memory row
 * for the `aisbf data-plane` role (a fresh node, snapshot from Redis, N streams whose chunks come
 * 1 s apart), printed. For iterating on the node's memory without the throughput runs; node flags
 * (e.g. `--max-semi-space-size=4`) go to the node, to see what V8's heap settings change.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const [count = '1000', ...nodeArgs] = process.argv.slice(2);
const streams = Number(count);
const dir = await bundleTempDir('aisbf-mem');
try {
  const built = await bundle({
    entryPoints: { 'mock-upstream': join(root, 'packages/testkit/src/mock-upstream-main.ts') },
    outdir: dir,
  });
  const cli = (await bundleCli(join(dir, 'cli'))).files['aisbf']!;
  const mock = await spawnService({
    entry: built.files['mock-upstream']!,
    runtime: 'node',
    cwd: root,
    args: ['--models', MOCK_MODELS.join(','), '--words', '60'],
  });
  try {
    await fetch(`${mock.url.replace(/\/v1$/, '')}/__mock/default`, {
      method: 'POST',
      body: JSON.stringify([
        { kind: 'ok', chunkDelayMs: 1000 },
        { kind: 'ok', model: 'w1', words: 1, chunkDelayMs: 1000 },
      ]),
    });
    const row = await productionRoleStreams({
      bundle: cli,
      cwd: root,
      logDir: dir,
      redisUrl: 'redis://127.0.0.1:6379',
      mockUrl: mock.url,
      streams,
      nodeArgs,
    });
    process.stdout.write(`${JSON.stringify(row, null, 1)}\n`);
  } finally {
    await mock.stop();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
