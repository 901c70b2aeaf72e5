import type { UsageAttempt, UsageEvent } from '../usage-event';

/**
 * The most attempts one usage event records. A rotation may hold 1,000 entries and one request may
 * try every one of them, so without a bound a single tenant's failing rotation makes events of
 * hundreds of KB that every shared stage carries: the node's batch, the queue, the worker's insert
 * (MariaDB refuses a statement over `max_allowed_packet`, 16 MiB by default, and a batch is up to
 * 500 rows) and `usage_records.attempts`, a TEXT column of 64 KiB that MariaDB would cut mid-JSON.
 * Twenty attempts with every field at its longest take ~17 KB (docs/usage.md "Attempts").
 */
export const MAX_RECORDED_ATTEMPTS = 20;

/**
 * At most MAX_RECORDED_ATTEMPTS: the first ones, then the last (the attempt that served, or the one
 * that failed last). The same array when it is within the bound.
 */
export function boundAttempts(attempts: UsageAttempt[]): UsageAttempt[] {
  if (attempts.length <= MAX_RECORDED_ATTEMPTS) return attempts;
  const kept = attempts.slice(0, MAX_RECORDED_ATTEMPTS - 1);
  kept.push(attempts[attempts.length - 1]!);
  return kept;
}

/**
 * The event with its attempts bounded (the same object when they are within the bound). Applied
 * where a data plane's events enter its sink, and again by the usage writers (the cluster worker,
 * a MySQL-backed `aisbf start`) for events from nodes that predate the bound.
 */
export function boundUsageEvent(event: UsageEvent): UsageEvent {
  return event.attempts.length > MAX_RECORDED_ATTEMPTS ? { ...event, attempts: boundAttempts(event.attempts) } : event;
}
