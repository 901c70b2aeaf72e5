import type { UsageEvent, UsageSink } from '@aisbf/core';
import type { Db } from '@aisbf/db';
import { createUsageBatcher, type UsageBatchingOptions } from './usage-batcher';
import { writeUsage } from './usage-flush.processor';

/** `flushMs` defaults to 1000 ms: a quiet node still writes its usage within a second. */
export interface DbUsageSinkOptions extends UsageBatchingOptions {
  db: Db;
}

/** All-in-one mode's UsageSink: the usage-flush processor on a timer, no queue in between. */
export function createDbUsageSink(options: DbUsageSinkOptions): UsageSink {
  const batcher = createUsageBatcher(
    options,
    async (events) => {
      await writeUsage({ db: options.db }, events);
    },
    1_000,
  );
  return {
    emit: (event) => batcher.add(event),
    flush: () => batcher.flush(),
    close: () => batcher.close(),
  };
}
