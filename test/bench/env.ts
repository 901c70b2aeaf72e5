/** The benchmark's knobs, read once (docs/conventions.md: process.env only in main.ts/env.ts). */
export interface BenchConfig {
  /** Seconds of load per target and mode, split into `rounds`. */
  durationS: number;
  /** Rounds per mode; targets take turns within each round so background noise hits all alike. */
  rounds: number;
  connections: number;
  /** Sequential requests per target for p50/p99. */
  sequential: number;
  /** Concurrent open streams for the RSS figure. */
  streams: number;
  /** Redis for the production data-plane role's memory row (`AISBF_BENCH_REDIS_URL`; `off` skips it). */
  redisUrl: string | null;
  /** Write docs/benchmarks.md (off with AISBF_BENCH_WRITE_DOCS=0). */
  writeDocs: boolean;
}

const int = (name: string, fallback: number, min: number, max: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
  return value;
};

export function readBenchConfig(): BenchConfig {
  return Object.freeze({
    durationS: int('AISBF_BENCH_DURATION_S', 8, 1, 600),
    rounds: int('AISBF_BENCH_ROUNDS', 4, 1, 100),
    connections: int('AISBF_BENCH_CONNECTIONS', 32, 1, 4096),
    sequential: int('AISBF_BENCH_SEQUENTIAL', 1500, 10, 1_000_000),
    streams: int('AISBF_BENCH_STREAMS', 1000, 1, 10_000),
    redisUrl:
      process.env['AISBF_BENCH_REDIS_URL'] === 'off'
        ? null
        : (process.env['AISBF_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379'),
    writeDocs: process.env['AISBF_BENCH_WRITE_DOCS'] !== '0',
  });
}
