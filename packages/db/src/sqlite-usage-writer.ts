import type SqliteDatabase from 'better-sqlite3';
import type { UsageEvent } from '@aisbf/core';
import { aggregateUsageRows, HOURLY_SUMS, type UsageHourlyTable } from './usage-aggregates';
import { USAGE_HOURLY_DIMENSIONS, USAGE_RECORD_COLUMNS } from './usage-columns';
import { toUsageRecord } from './usage.repository';
import type { UsageRecordsTable } from './usage-records.table';

const list = (columns: ReadonlyArray<string>, f: (c: string) => string): string => columns.map(f).join(', ');

/** The same insert-or-ignore by id as `insertUsageEvents`, one row per statement. */
const INSERT_RECORD = `insert into usage_records (${list(USAGE_RECORD_COLUMNS, (c) => c)}) values (${list(USAGE_RECORD_COLUMNS, (c) => `@${c}`)}) on conflict (id) do nothing`;

/** `addUsageHourly`'s SQLite upsert: a concurrent writer's sums are added to, never overwritten. */
const ADD_HOURLY = `insert into usage_hourly (${list([...USAGE_HOURLY_DIMENSIONS, ...HOURLY_SUMS], (c) => c)}) values (${list([...USAGE_HOURLY_DIMENSIONS, ...HOURLY_SUMS], (c) => `@${c}`)}) on conflict (bucket, dims_key) do update set ${list(HOURLY_SUMS, (c) => `${c} = usage_hourly.${c} + excluded.${c}`)}`;

export interface SqliteUsageWriter {
  /** Writes the events, returns how many were new (duplicates by id, in the batch or stored, count nothing). */
  write(events: ReadonlyArray<UsageEvent>): number;
}

/**
 * `insertUsageEvents` for SQLite, written by hand on the connection itself: the usage writer thread
 * of `aisbf start` runs it for every batch, and profiled under load most of its time outside
 * SQLite's own work went to Kysely building and compiling each chunk's query and to SQLite preparing
 * it again (a multi-row insert of another length is another statement text), docs/usage.md
 * "Aggregates and retention". Here the two
 * statements are prepared once and run once per row. What is stored is the same (same rows, same
 * hourly sums, `sqlite-usage-writer.test.ts` compares both paths): each chunk of 200 events is one
 * transaction, as there; a row's insert says whether it was new, and only new rows are added to the
 * aggregates, so the pre-check of the ids and the retry on a race are not needed (SQLite has one
 * writer at a time, the transaction holds the write lock from its first insert).
 */
export function createSqliteUsageWriter(sqlite: SqliteDatabase.Database): SqliteUsageWriter {
  // Prepared at the first write, not here: the thread may open its connection before migrations ran.
  let prepared: ((rows: ReadonlyArray<UsageRecordsTable>) => number) | null = null;
  const prepare = (): ((rows: ReadonlyArray<UsageRecordsTable>) => number) => {
    const insertRecord = sqlite.prepare<[UsageRecordsTable]>(INSERT_RECORD);
    const addHourly = sqlite.prepare<[UsageHourlyTable]>(ADD_HOURLY);
    return sqlite.transaction((rows: ReadonlyArray<UsageRecordsTable>): number => {
      const fresh: UsageRecordsTable[] = [];
      for (const row of rows) if (insertRecord.run(row).changes === 1) fresh.push(row);
      for (const hour of aggregateUsageRows(fresh)) addHourly.run(hour);
      return fresh.length;
    });
  };
  return {
    write(events) {
      prepared ??= prepare();
      let inserted = 0;
      for (let i = 0; i < events.length; i += 200) inserted += prepared(events.slice(i, i + 200).map(toUsageRecord));
      return inserted;
    },
  };
}
