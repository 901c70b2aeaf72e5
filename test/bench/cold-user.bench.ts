import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { configPartsOf, GLOBAL_PART, userPartKey, type UserPart } from '../../packages/core/src/index';
import { createRedisPartStore, parsePart } from '../../packages/bus/src/index';
import { createConfigView } from '../../packages/data-plane/src/config-view';
import { hashApiToken } from '../../packages/secrets/src/index';
import { benchUserPart, type PartShape } from './bench-user-part';

/**
 * `pnpm exec tsx test/bench/cold-user.bench.ts [scale|small|heavy]`: the pieces of a cold user's first
 * request on a data-plane node (docs/cluster.md "What a node holds"), in µs: the token's hash, the
 * store read (token index, then part: two round trips, or the one-script read), the part's parse,
 * its index and the first route resolution. Real Redis on AISBF_BENCH_REDIS_URL (default local),
 * `N` users of the given part shape (bench-user-part.ts; default `scale`, pnpm bench:scale's), each
 * piece timed over every user; p50 and p99.
 */
const N = 1_000;
const url = process.env['AISBF_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `aisbf-cold-bench-${process.pid}:`;

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const row = (label: string, us: number[]): void =>
  void process.stdout.write(
    `${label.padEnd(44)} p50 ${pct(us, 50).toFixed(1).padStart(7)} µs   p99 ${pct(us, 99).toFixed(1).padStart(7)} µs\n`,
  );

async function main(): Promise<void> {
  const store = createRedisPartStore({ url, prefix });
  await store.client.ping();
  const shape = (process.argv[2] ?? 'scale') as PartShape;
  const tokens: string[] = [];
  const ids: string[] = [];
  await store.write(1, Date.now(), {
    key: GLOBAL_PART,
    part: { version: 1, createdAt: Date.now(), providers: [], rotations: [], autoselects: [] },
  });
  for (let i = 0; i < N; i++) {
    const id = randomUUID();
    const token = `aisbf_bench_${randomUUID()}`;
    const part = benchUserPart(shape, id, `u${i}`, hashApiToken(token));
    await store.write(2 + i, Date.now(), { key: userPartKey(id), part });
    tokens.push(token);
    ids.push(id);
  }
  const global = configPartsOf({
    version: 1,
    createdAt: Date.now(),
    users: [],
    tokens: [],
    providers: [],
    rotations: [],
    autoselects: [],
  });
  const view = createConfigView(global);
  const times = {
    hash: [] as number[],
    two: [] as number[],
    one: [] as number[],
    parse: [] as number[],
    index: [] as number[],
    resolve: [] as number[],
  };
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < N; i++) {
      let t0 = performance.now();
      const hash = hashApiToken(tokens[i]!);
      times.hash.push((performance.now() - t0) * 1000);
      // Alternate which read goes first, so neither always gets the warmer connection.
      const reads = [
        async () => {
          const s = performance.now();
          const owner = await store.tokenOwner(hash);
          await store.client.get(`${prefix}part:${userPartKey(owner!)}`);
          times.two.push((performance.now() - s) * 1000);
        },
        async () => {
          const s = performance.now();
          await store.userByToken(hash);
          times.one.push((performance.now() - s) * 1000);
        },
      ];
      for (const read of i % 2 === 0 ? reads : reads.reverse()) await read();
      const raw = (await store.client.get(`${prefix}part:${userPartKey(ids[i]!)}`))!;
      t0 = performance.now();
      const part = parsePart(userPartKey(ids[i]!), raw) as UserPart;
      times.parse.push((performance.now() - t0) * 1000);
      t0 = performance.now();
      const served = view.served(part);
      times.index.push((performance.now() - t0) * 1000);
      t0 = performance.now();
      served.resolve(part.user, 'user-rotation/r');
      times.resolve.push((performance.now() - t0) * 1000);
    }
    if (round === 0) for (const k of Object.keys(times) as Array<keyof typeof times>) times[k].length = 0; // warm-up round
  }
  process.stdout.write(
    `${N} users, ${shape} part of ${JSON.stringify(benchUserPart(shape, randomUUID(), 'u0', '')).length} chars, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}\n`,
  );
  row('token hash (SHA-256)', times.hash);
  row('store read: HGET token-user, then GET part', times.two);
  row('store read: one script (userByToken)', times.one);
  row('parse the part (JSON.parse + shape check)', times.parse);
  row('index the part over the global index', times.index);
  row('first route resolution', times.resolve);
  const keys = await store.client.keys(`${prefix}*`);
  if (keys.length > 0) await store.client.del(...keys);
  await store.close();
}
void main();
