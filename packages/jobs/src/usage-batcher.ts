import type { UsageEvent } from '@aisbf/core';
import { createBatcher, type Batcher } from './batcher';
import type { UsageSpool } from './usage-spool';

/** How a UsageSink batches its events; the same knobs for every sink. */
export interface UsageBatchingOptions {
  /** Events per write (default 500). */
  batchSize?: number;
  /** Longest an event waits in memory before it is written (the sink's default). */
  flushMs?: number;
  maxBuffered?: number;
  onError?: (error: unknown, context: string) => void;
  /** Where `close()` leaves what it could not write within `closeGraceMs` (docs/usage.md "Where usage goes"). */
  spool?: UsageSpool;
  /** How long `close()` tries to write what is left (default 5 s). */
  closeGraceMs?: number;
}

/** A sink's batcher: its `write`, the shared knobs, and the spool as the place of last resort. */
export function createUsageBatcher(
  options: UsageBatchingOptions,
  write: (events: UsageEvent[]) => Promise<void>,
  defaultFlushMs: number,
): Batcher<UsageEvent> {
  const spool = options.spool;
  return createBatcher<UsageEvent>({
    write,
    batchSize: options.batchSize ?? 500,
    flushMs: options.flushMs ?? defaultFlushMs,
    maxBuffered: options.maxBuffered,
    onError: options.onError,
    closeGraceMs: options.closeGraceMs,
    ...(spool === undefined
      ? {}
      : {
          onAbandon: async (events: UsageEvent[]) => {
            const path = await spool.save(events);
            options.onError?.(
              new Error(`${events.length} usage events kept in ${path} until the next start`),
              'usage spooled',
            );
          },
        }),
  });
}
