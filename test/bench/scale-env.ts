import { int } from './env';
/** `pnpm bench:scale`'s knobs, read once (docs/conventions.md: process.env only in main.ts/env.ts). */
export interface ScaleConfig {
  /** Users generated (each: 1 token, 2 providers, 1 rotation, 1 autoselect). */
  users: number;
  /** Distinct users each data-plane node serves before its RSS is read (capped at users − cold). */
  served: number;
  /** Single-user changes whose propagation is timed while the nodes serve. */
  changes: number;
  /** The propagation phase stops measuring after this long (seconds): what a slow propagation allows. */
  phaseBudgetS: number;
  /** Users never served before whose first request is timed. */
  cold: number;
  /** Requests in flight while serving. */
  concurrency: number;
  redisUrl: string;
  mysqlUrl: string;
  /** Write the "Scale" part of docs/benchmarks.md (off with AISBF_BENCH_WRITE_DOCS=0). */
  writeDocs: boolean;
}

export function readScaleConfig(): ScaleConfig {
  const users = int('AISBF_SCALE_USERS', 1_000, 300, 1_000_000);
  const cold = int('AISBF_SCALE_COLD', 300, 10, 1_000);
  return Object.freeze({
    users,
    served: Math.min(int('AISBF_SCALE_SERVED', 10_000, 100, 1_000_000), users - cold - 1),
    changes: int('AISBF_SCALE_CHANGES', 100, 10, 10_000),
    phaseBudgetS: int('AISBF_SCALE_PHASE_S', 300, 10, 7_200),
    cold,
    concurrency: int('AISBF_SCALE_CONCURRENCY', 16, 1, 512),
    redisUrl: process.env['AISBF_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    mysqlUrl: process.env['AISBF_BENCH_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306',
    writeDocs: process.env['AISBF_BENCH_WRITE_DOCS'] !== '0',
  });
}
