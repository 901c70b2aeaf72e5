import { loadavg } from 'node:os';
import {
  closeRedisClient,
  createRedisBudgetLedger,
  createRedisClient,
  createRedisRateLimiter,
} from '../../packages/bus/src/index';

/**
 * `pnpm exec tsx test/bench/limits-path.bench.ts`: what a data-plane request's limit checks cost on
 * its path, exact (one script call per hit and per reservation) against leased (docs/cluster.md
 * "Leases"), on the Redis of `AISBF_BENCH_REDIS_URL` (default redis://127.0.0.1:6379), with the
 * bench tenant's limits: a per-minute hit, then a reservation of 1 request and ~40 tokens a day,
 * then its settlement. Sequential requests (one at a time, as the bench's latency rows send them)
 * and 64 at once; the two modes alternate, best of 5 rounds.
 */
const url = process.env['AISBF_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const ROUNDS = 5;
const SEQUENTIAL = 2_000;
const CONCURRENT = 64;
const BATCHES = 300;

type Mode = 'exact' | 'leased';

async function measure(mode: Mode, round: number): Promise<{ sequentialUs: number; concurrentUs: number }> {
  const prefix = `aisbf-limits-bench:${process.pid}:${mode}:${round}:`;
  const client = createRedisClient({ url, name: 'limits-bench', redisOptions: { enableAutoPipelining: true } });
  const leases = mode === 'leased' ? { leases: {} } : {};
  const limiter = createRedisRateLimiter({ url, prefix, client, ...leases });
  const ledger = createRedisBudgetLedger({ url, prefix, client, ...leases });
  const resetAt = Date.now() + 3_600_000;
  const request = async (): Promise<void> => {
    const [hit, verdict] = await Promise.all([
      limiter.hitAll([{ key: 'token:t', limit: 1_000_000_000, windowS: 60, amount: 1 }]),
      ledger.reserve([
        { key: 'req', limit: 1_000_000_000, amount: 1, resetAt },
        { key: 'tok', limit: 1_000_000_000_000, amount: 40, resetAt },
      ]),
    ]);
    if (!hit.allowed || !verdict.allowed) throw new Error('refused');
    void ledger.settle([{ key: 'tok', delta: -30, resetAt }]);
  };
  try {
    // Warm-up, both ways (JIT, the leases' first claims).
    for (let i = 0; i < 500; i++) await request();
    for (let b = 0; b < 50; b++) await Promise.all(Array.from({ length: CONCURRENT }, request));
    let started = performance.now();
    for (let i = 0; i < SEQUENTIAL; i++) await request();
    const sequentialUs = ((performance.now() - started) * 1000) / SEQUENTIAL;
    started = performance.now();
    for (let b = 0; b < BATCHES; b++) await Promise.all(Array.from({ length: CONCURRENT }, request));
    const concurrentUs = ((performance.now() - started) * 1000) / (BATCHES * CONCURRENT);
    return { sequentialUs, concurrentUs };
  } finally {
    await limiter.close();
    await ledger.close();
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    await closeRedisClient(client);
  }
}

const best: Record<Mode, { sequentialUs: number; concurrentUs: number }> = {
  exact: { sequentialUs: Infinity, concurrentUs: Infinity },
  leased: { sequentialUs: Infinity, concurrentUs: Infinity },
};
const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(', ');
for (let round = 0; round < ROUNDS; round++)
  for (const mode of (round % 2 === 0 ? ['exact', 'leased'] : ['leased', 'exact']) as Mode[]) {
    const r = await measure(mode, round);
    best[mode].sequentialUs = Math.min(best[mode].sequentialUs, r.sequentialUs);
    best[mode].concurrentUs = Math.min(best[mode].concurrentUs, r.concurrentUs);
  }
console.log(
  `load average at start ${load}, now ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`,
);
for (const mode of ['exact', 'leased'] as Mode[])
  console.log(
    `${mode}: ${best[mode].sequentialUs.toFixed(1)} µs per request one at a time, ${best[mode].concurrentUs.toFixed(1)} µs per request ${CONCURRENT} at once (best of ${ROUNDS})`,
  );
