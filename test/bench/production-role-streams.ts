import { createRedisPartStore } from '../../packages/bus/src/index';
import { createSecretBox, generateSecretKey } from '../../packages/secrets/src/index';
import { buildTestSnapshot } from '../../packages/testkit/src/index';
import { spawnBundled } from './aisbf-targets';
import { measureOpenStreams } from './open-streams';
import type { StreamsRow } from './report';
import { MOCK_MODELS, type LoadTarget } from './shapes';

const TOKEN = 'aisbf_bench_token_0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * The memory figure for what a cluster runs: a fresh `aisbf data-plane` from the production bundle,
 * its snapshot read from Redis, with every Redis client of the role (bus, cooldowns, limits,
 * budgets, health, usage queue), holding `streams` open streams. Null, with no row, without Redis.
 */
export async function productionRoleStreams(options: {
  bundle: string;
  cwd: string;
  logDir: string;
  redisUrl: string;
  mockUrl: string;
  streams: number;
  /** Node flags for the node (`memory-row.ts` tries V8 heap settings with them); none in `pnpm bench`. */
  nodeArgs?: string[];
}): Promise<StreamsRow | null> {
  const name = 'aisbf data-plane';
  const prefix = `aisbf-bench-mem-${process.pid}-${Date.now()}:`;
  const store = createRedisPartStore({ url: options.redisUrl, prefix });
  try {
    const secretKey = generateSecretKey();
    const snapshot = buildTestSnapshot({
      secretBox: createSecretBox(secretKey),
      users: [{ username: 'bench', token: TOKEN }],
      providers: [{ id: 'mock', endpoint: options.mockUrl, apiKey: 'sk-bench-upstream', models: [...MOCK_MODELS] }],
    });
    const stored = await Promise.race([
      store.put(snapshot),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 3000)),
    ]);
    if (!stored) return null;
    const node = await spawnBundled(
      options.bundle,
      'data-plane',
      {
        AISBF_REDIS_URL: options.redisUrl,
        AISBF_REDIS_PREFIX: prefix,
        AISBF_SECRET_KEY: secretKey,
        AISBF_HOST: '127.0.0.1',
      },
      { cwd: options.cwd, logDir: options.logDir, nodeArgs: options.nodeArgs ?? [] },
    );
    try {
      const target: LoadTarget = {
        name,
        url: `${node.url}/v1`,
        headers: { authorization: `Bearer ${TOKEN}` },
        modelPrefix: 'mock/',
      };
      return { target: name, result: await measureOpenStreams(target, node.pid, options.streams, 45_000) };
    } finally {
      await node.stop();
    }
  } finally {
    await store.close();
  }
}
