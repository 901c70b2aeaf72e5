import { loadavg } from 'node:os';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import pino from 'pino';
import type { BudgetLedger, RateLimiter, Resolution, UsageAttempt, UsageEvent } from '../../packages/core/src/index';
import {
  createMemoryBudgetLedger,
  createMemoryRateLimiter,
  createRedisBudgetLedger,
  createRedisRateLimiter,
} from '../../packages/bus/src/index';
import type { Principal } from '../../packages/data-plane/src/auth';
import { createBudgetGuard } from '../../packages/data-plane/src/budget/budget-guard';
import { createBudgetHolds } from '../../packages/data-plane/src/budget/budget-holds';
import { createRequestTracing } from '../../packages/data-plane/src/observability/request-tracing';
import { createRateLimitGate } from '../../packages/data-plane/src/rate-limit-gate';
import { BENCH_LIMITS } from './aisbf-targets';

/**
 * `pnpm exec tsx test/bench/limits-layers.bench.ts [redis|memory]`: what one request's limits cost
 * through the data plane's own layers (docs/benchmarks.md "Bookkeeping per request"): the rate-limit
 * gate's checks and hit, the budget reservation through budget-holds → budget-guard → the ledger,
 * the attempt's end and the request's trace with no OpenTelemetry SDK, then the settlement and the
 * tokens-per-minute charge, with the bench tenant's limits (`BENCH_LIMITS`). `redis`: the Redis
 * ledger and limiter with leases, as `aisbf data-plane` runs them (every request decided from the
 * node's leases once warm; the AISBF_BENCH_REDIS_URL Redis, default redis://127.0.0.1:6379);
 * `memory`: the twins `aisbf start` runs. One request at a time; best of 7 rounds of 20,000, and
 * the minor GCs over the 7 rounds (run with `--max-semi-space-size=1`: then each is ~1 MiB allocated).
 */
const mode = process.argv[2] === 'memory' ? 'memory' : 'redis';
const url = process.env['AISBF_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const ROUNDS = 7;
const N = 20_000;
const prefix = `aisbf-layers-bench:${process.pid}:`;
const ledger: BudgetLedger =
  mode === 'redis' ? createRedisBudgetLedger({ url, prefix, leases: {} }) : createMemoryBudgetLedger();
const limiter: RateLimiter =
  mode === 'redis' ? createRedisRateLimiter({ url, prefix, leases: {} }) : createMemoryRateLimiter();
const logger = pino({ level: 'warn' });
const holds = createBudgetHolds(createBudgetGuard({ ledger, logger }));
const gate = createRateLimitGate(limiter, logger);
const tracing = createRequestTracing({ clock: Date.now });
const principal = {
  token: {
    id: 'token-0123456789',
    userId: 'user-0123456789',
    name: 'load',
    hash: 'h',
    expiresAt: null,
    limits: BENCH_LIMITS,
  },
  user: { id: 'user-0123456789', username: 'bench', role: 'user', disabled: false },
} as Principal;
const resolution = { kind: 'provider', target: {} } as unknown as Resolution;
const body = { model: 'w1', messages: [] };

let n = 0;
async function request(): Promise<void> {
  const requestId = `req-${n++}`;
  const checks = gate.checks(principal);
  if (checks !== null && (await gate.hit(checks)) !== null) throw new Error('rate limited');
  const held = await holds.reserve({ requestId, principal, body, promptChars: 120, resolution, now: Date.now() });
  if (!held.ok) throw new Error('over budget');
  const attempt: UsageAttempt = { provider: 'p', model: 'w1', status: 200, outcome: 'ok', latencyMs: 1 };
  tracing.attemptEnded(attempt);
  const event = {
    requestId,
    at: Date.now(),
    tokenId: principal.token.id,
    route: 'w1',
    provider: 'p',
    model: 'w1',
    endpoint: 'chat.completions',
    stream: false,
    status: 200,
    promptTokens: 30,
    completionTokens: 1,
    latencyMs: 1,
    attempts: [attempt],
    costMicros: null,
  } as unknown as UsageEvent;
  tracing.record(event);
  holds.settle(event);
  gate.charge(event);
  if (held.key !== null) holds.release(held.key);
}

let minor = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR)
      minor++;
}).observe({ entryTypes: ['gc'] });
const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(', ');
for (let i = 0; i < 5_000; i++) await request(); // JIT, and the leases' first claims
let best = Infinity;
const minorBefore = minor;
for (let r = 0; r < ROUNDS; r++) {
  const started = performance.now();
  for (let i = 0; i < N; i++) await request();
  best = Math.min(best, ((performance.now() - started) * 1000) / N);
  await new Promise((resolve) => setTimeout(resolve, 20)); // the leases' refills land
}
await new Promise((resolve) => setTimeout(resolve, 50)); // the last GC entries
console.log(
  `${mode}: ${best.toFixed(2)} µs per request (best of ${ROUNDS} × ${N}), ${minor - minorBefore} minor GCs over ${ROUNDS * N} requests; load average ${load}`,
);
await ledger.close();
await limiter.close();
