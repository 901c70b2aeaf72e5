import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRedisPartStore } from '../../packages/bus/src/index';
import { createSecretBox, generateSecretKey } from '../../packages/secrets/src/index';
import { buildTestSnapshot } from '../../packages/testkit/src/index';
import { bundleCli, bundleTempDir } from '../../scripts/bundle';
import { spawnBundled } from './aisbf-targets';
import { readProcessMemory } from './process-rss';

/**
 * `pnpm exec tsx test/bench/tokenizer-rss.ts [runs]`: what the tokenizer preload costs an idle
 * `aisbf data-plane` (docs/context.md "Costs"). A fresh node from the production bundle, snapshot
 * from Redis, naming `gpt-4o` and `gpt-4.1`: once without any window (nothing is preloaded), once
 * with a `context_size` on `gpt-4o` (o200k_base is). RSS is read from /proc after the preload
 * logged its end (or, without one, after the same settle time), `runs` times each, alternating.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const runs = Number(process.argv[2] ?? '3');
const SETTLE_MS = 3000;
const TOKEN = 'aisbf_bench_token_0123456789abcdefghijklmnopqrstuvwxyz';
const redisUrl = process.env['AISBF_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

const dir = await bundleTempDir('aisbf-tok-rss');
try {
  const cli = (await bundleCli(join(dir, 'cli'))).files['aisbf']!;
  const rows: Array<{ window: boolean; preloaded: string; rssMiB: number; peakMiB: number }> = [];
  for (let i = 0; i < runs; i++)
    for (const window of [false, true]) rows.push({ window, ...(await measure(cli, window)) });
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rss = (window: boolean): number => median(rows.filter((r) => r.window === window).map((r) => r.rssMiB));
  process.stdout.write(
    `${JSON.stringify({ rows, medianRssMiB: { withoutWindow: rss(false), withWindow: rss(true) } }, null, 1)}\n`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}

async function measure(
  bundle: string,
  window: boolean,
): Promise<{ preloaded: string; rssMiB: number; peakMiB: number }> {
  const prefix = `aisbf-bench-tokrss-${process.pid}-${Date.now()}:`;
  const store = createRedisPartStore({ url: redisUrl, prefix });
  try {
    const secretKey = generateSecretKey();
    await store.put(
      buildTestSnapshot({
        secretBox: createSecretBox(secretKey),
        users: [{ username: 'bench', token: TOKEN }],
        providers: [
          {
            id: 'oai',
            endpoint: 'http://127.0.0.1:9/v1',
            apiKey: 'sk-bench-upstream',
            models: [window ? { name: 'gpt-4o', context_size: 128_000 } : 'gpt-4o', 'gpt-4.1'],
          },
        ],
      }),
    );
    const node = await spawnBundled(
      bundle,
      'data-plane',
      { AISBF_REDIS_URL: redisUrl, AISBF_REDIS_PREFIX: prefix, AISBF_SECRET_KEY: secretKey, AISBF_HOST: '127.0.0.1' },
      { cwd: root, logDir: dir },
    );
    try {
      const deadline = Date.now() + 60_000;
      let preloaded = 'none';
      while (window && Date.now() < deadline) {
        const line = (await readFile(node.log, 'utf8')).split('\n').find((l) => l.includes('token counters preloaded'));
        if (line !== undefined) {
          preloaded = line;
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      if (!window && (await readFile(node.log, 'utf8')).includes('token counters preloaded'))
        throw new Error('a snapshot without a window preloaded a tokenizer');
      return { preloaded, ...(await readProcessMemory(node.pid)) };
    } finally {
      await node.stop();
    }
  } finally {
    await store.close();
  }
}
