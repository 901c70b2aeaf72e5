import type { UsageEvent } from '@aisbf/core';
import { createSqliteUsageWriter, type DatabaseHandle } from '@aisbf/db';
import { writeUsage } from './usage-flush.processor';

/** Writes one batch, resolves to how many events were new. */
export type UsageWriter = (events: ReadonlyArray<UsageEvent>) => Promise<number>;

/**
 * What the usage writer thread of `aisbf start` writes a batch with: on SQLite, statements prepared
 * once on the connection itself (`createSqliteUsageWriter`: the thread's measured hot path,
 * docs/usage.md "Where usage goes"); on MySQL/MariaDB, `writeUsage` with the handle's pool, the
 * cluster worker's path (prepared statements).
 * Both store the same rows and hourly sums (packages/db/src/sqlite-usage-writer.test.ts).
 */
export function createUsageWriter(database: DatabaseHandle): UsageWriter {
  if (database.sqlite !== undefined) {
    const writer = createSqliteUsageWriter(database.sqlite);
    // Async so that a failed write (SQLite throws) is a rejection, answered like any other.
    return async (events) => writer.write(events);
  }
  return async (events) => (await writeUsage(database, events)).inserted;
}
