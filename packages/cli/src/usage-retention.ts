import { pruneUsageRecords, type Db } from '@aisbf/db';
import type { Logger } from 'pino';
import type { Env } from './env';

const HOUR_MS = 3_600_000;

/**
 * AISBF_USAGE_RETENTION_DAYS (docs/usage.md): raw usage rows older than the window are deleted hourly;
 * the hourly aggregates that usage queries read are kept, so totals and series do not change.
 */
export function startUsageRetention(options: {
  db: Db;
  days: number | undefined;
  now?: () => number;
  onError: (error: unknown, context: string) => void;
}): { runOnce(): Promise<number>; close(): void } {
  const now = options.now ?? Date.now;
  const days = options.days;
  const runOnce = async (): Promise<number> =>
    days === undefined ? 0 : pruneUsageRecords(options.db, now() - days * 24 * HOUR_MS);
  if (days === undefined) return { runOnce, close: () => undefined };
  const tick = (): void => void runOnce().catch((error: unknown) => options.onError(error, 'usage retention'));
  const timer = setInterval(tick, HOUR_MS);
  timer.unref();
  tick();
  return { runOnce, close: () => clearInterval(timer) };
}

/** The retention every role that writes usage runs: the window from the environment, failures logged. */
export const startUsageRetentionFromEnv = (db: Db, env: Env, logger: Logger): { close(): void } =>
  startUsageRetention({
    db,
    days: env.AISBF_USAGE_RETENTION_DAYS,
    onError: (error, context) => logger.error({ err: error, context }, 'usage retention'),
  });
