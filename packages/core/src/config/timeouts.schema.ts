import { z } from 'zod';

/**
 * Timeout and retry knobs of docs/architecture.md "Retry discipline". Every level (provider, rotation,
 * rotation entry) may set any of them; the most specific wins, then the defaults below.
 */
export const timeoutsSchema = z.object({
  timeout_connect_s: z.number().positive().max(600).optional(),
  timeout_headers_s: z.number().positive().max(3600).optional(),
  timeout_first_token_s: z.number().positive().max(3600).optional(),
  timeout_idle_s: z.number().positive().max(3600).optional(),
  timeout_total_s: z.number().positive().max(86_400).optional(),
  retry_after_max_s: z.number().min(0).max(600).optional(),
  /** When every entry is at its max_concurrency: how long a request waits for a slot (0: 503 at once). */
  timeout_queue_s: z.number().min(0).max(3600).optional(),
  retry: z
    .object({
      /** Backoff before retrying the same entry after a connect error / 5xx / 408 / 409. */
      backoff_ms: z.number().int().min(0).max(60_000).optional(),
      /** Same-entry retries before moving on (once: docs/reliability.md). */
      same_entry: z.number().int().min(0).max(5).optional(),
    })
    .optional(),
});

export type Timeouts = z.infer<typeof timeoutsSchema>;

export const DEFAULT_TIMEOUTS = Object.freeze({
  timeout_connect_s: 10,
  timeout_headers_s: 30,
  timeout_first_token_s: 10,
  timeout_idle_s: 15,
  timeout_total_s: 120,
  retry_after_max_s: 3,
  timeout_queue_s: 10,
  backoff_ms: 250,
  same_entry: 1,
});

export interface ResolvedTimeouts {
  connectMs: number;
  headersMs: number;
  firstTokenMs: number;
  idleMs: number;
  totalMs: number;
  retryAfterMaxMs: number;
  queueMs: number;
  backoffMs: number;
  sameEntryRetries: number;
}

/** Merge levels, most general first (provider, rotation, entry); later levels win. */
export function resolveTimeouts(...levels: ReadonlyArray<Timeouts | undefined>): ResolvedTimeouts {
  const pick = <K extends keyof Omit<Timeouts, 'retry'>>(key: K): number => {
    let value: number = DEFAULT_TIMEOUTS[key];
    for (const level of levels) {
      const v = level?.[key];
      if (v !== undefined) value = v;
    }
    return value;
  };
  let backoffMs: number = DEFAULT_TIMEOUTS.backoff_ms;
  let sameEntry: number = DEFAULT_TIMEOUTS.same_entry;
  for (const level of levels) {
    if (level?.retry?.backoff_ms !== undefined) backoffMs = level.retry.backoff_ms;
    if (level?.retry?.same_entry !== undefined) sameEntry = level.retry.same_entry;
  }
  return {
    connectMs: pick('timeout_connect_s') * 1000,
    headersMs: pick('timeout_headers_s') * 1000,
    firstTokenMs: pick('timeout_first_token_s') * 1000,
    idleMs: pick('timeout_idle_s') * 1000,
    totalMs: pick('timeout_total_s') * 1000,
    retryAfterMaxMs: pick('retry_after_max_s') * 1000,
    queueMs: pick('timeout_queue_s') * 1000,
    backoffMs,
    sameEntryRetries: sameEntry,
  };
}
