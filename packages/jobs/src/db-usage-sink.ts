import type { UsageEvent, UsageSink } from '@aisbf/core';
import type { Db } from '@aisbf/db';
import { createBatcher } from './batcher';
import { writeUsage } from './usage-flush.processor';

export interface DbUsageSinkOptions {
  db: Db;
  /** Default 500 events per insert. */
  batchSize?: number;
  /** Default 1000 ms: a quiet node still writes its usage within a second. */
  flushMs?: number;
  maxBuffered?: number;
  onError?: (error: unknown, context: string) => void;
}

/** All-in-one mode's UsageSink: the usage-flush processor on a timer, no queue in between. */
export function createDbUsageSink(options: DbUsageSinkOptions): UsageSink {
  const batcher = createBatcher<UsageEvent>({
    write: async (events) => {
      await writeUsage({ db: options.db }, events);
    },
    batchSize: options.batchSize ?? 500,
    flushMs: options.flushMs ?? 1_000,
    maxBuffered: options.maxBuffered,
    onError: options.onError,
  });
  return {
    emit: (event) => batcher.add(event),
    flush: () => batcher.flush(),
    close: () => batcher.close(),
  };
}
