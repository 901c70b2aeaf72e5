/** The benchmark's knobs, read once (docs/conventions.md: process.env only in main.ts/env.ts). */
export interface BenchConfig {
  /** Seconds of load per target and shape, split into `rounds`. */
  durationS: number;
  /** Rounds per shape; targets take turns within each round so background noise hits all alike. */
  rounds: number;
  connections: number;
  /** Sequential requests per target and shape for p50/p99. */
  sequential: number;
  /** Concurrent open streams for the RSS figure. */
  streams: number;
  /** Whole measurement runs in one invocation (each with its own load average); the doc reports all. */
  runs: number;
  /** Redis for the cluster rows (`AISBF_BENCH_REDIS_URL`; `off` skips them). */
  redisUrl: string | null;
  /** The MariaDB server for the cluster's control plane and worker (`AISBF_BENCH_MYSQL_URL`; `off` skips the cluster rows). */
  mysqlUrl: string | null;
  /** Write the generated part of docs/benchmarks.md (off with AISBF_BENCH_WRITE_DOCS=0). */
  writeDocs: boolean;
  /** `AISBF_BENCH_PIN=on`: gateways under test on a core of their own, the load side on the others (pinning.ts); default off. */
  pin: 'on' | 'off';
}

/** An integer knob from the environment, refused outside [min, max] (also read by scale-env.ts). */
export const int = (name: string, fallback: number, min: number, max: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
  return value;
};

const url = (name: string, fallback: string): string | null =>
  process.env[name] === 'off' ? null : (process.env[name] ?? fallback);

const onOff = (name: string, fallback: 'on' | 'off'): 'on' | 'off' => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw !== 'on' && raw !== 'off') throw new Error(`${name} must be on or off, got "${raw}"`);
  return raw;
};

export function readBenchConfig(): BenchConfig {
  return Object.freeze({
    durationS: int('AISBF_BENCH_DURATION_S', 6, 1, 600),
    rounds: int('AISBF_BENCH_ROUNDS', 3, 1, 100),
    connections: int('AISBF_BENCH_CONNECTIONS', 64, 1, 4096),
    sequential: int('AISBF_BENCH_SEQUENTIAL', 1000, 10, 1_000_000),
    streams: int('AISBF_BENCH_STREAMS', 1000, 1, 10_000),
    runs: int('AISBF_BENCH_RUNS', 3, 1, 20),
    redisUrl: url('AISBF_BENCH_REDIS_URL', 'redis://127.0.0.1:6379'),
    mysqlUrl: url('AISBF_BENCH_MYSQL_URL', 'mysql://root@127.0.0.1:3306'),
    writeDocs: process.env['AISBF_BENCH_WRITE_DOCS'] !== '0',
    pin: onOff('AISBF_BENCH_PIN', 'off'),
  });
}
