import { CompiledQuery, type Kysely } from 'kysely';
import type { Database } from './database';
import { HOURLY_SUMS, type UsageHourlyTable } from './usage-aggregates';
import { USAGE_HOURLY_DIMENSIONS, USAGE_RECORD_COLUMNS } from './usage-columns';
import type { UsageRecordsTable } from './usage-records.table';

/**
 * The two statements a cluster worker runs per usage batch on MySQL/MariaDB, as SQL text cached per
 * row count. Written by hand on a measured hot path (docs/usage.md "Where usage goes"): built
 * through kysely, a 500-row insert was an AST of ~11,500 value nodes compiled on every batch,
 * about half of the worker's own CPU per event. Column lists are `usage-columns.ts`' (checked
 * against the table types); values are always bound parameters, never spliced into the text.
 */
const RECORD_COLUMNS = USAGE_RECORD_COLUMNS as ReadonlyArray<keyof UsageRecordsTable>;
const HOURLY_COLUMNS = [...USAGE_HOURLY_DIMENSIONS, ...HOURLY_SUMS] as ReadonlyArray<keyof UsageHourlyTable>;

/** A batch's statement for `rows` rows, built once per row count (a worker sees a handful of counts). */
function cachedText(
  cache: Map<number, string>,
  rows: number,
  build: (values: string) => string,
  width: number,
): string {
  let text = cache.get(rows);
  if (text === undefined) {
    const tuple = `(${new Array<string>(width).fill('?').join(',')})`;
    text = build(new Array<string>(rows).fill(tuple).join(','));
    // Bounded: batches are at most the job's 10,000 events, split in fixed chunks.
    if (cache.size < 64) cache.set(rows, text);
  }
  return text;
}

const insertTexts = new Map<number, string>();
const hourlyTexts = new Map<number, string>();

/** `INSERT IGNORE` of the rows; resolves to how many were new. */
export async function mysqlInsertIgnoreRecords(
  db: Kysely<Database>,
  rows: ReadonlyArray<UsageRecordsTable>,
): Promise<number> {
  const params: unknown[] = [];
  for (const row of rows) for (const column of RECORD_COLUMNS) params.push(row[column]);
  const text = cachedText(
    insertTexts,
    rows.length,
    (values) => `insert ignore into usage_records (${RECORD_COLUMNS.join(', ')}) values ${values}`,
    RECORD_COLUMNS.length,
  );
  const result = await db.executeQuery(CompiledQuery.raw(text, params));
  return Number(result.numAffectedRows ?? 0);
}

/** Adds hourly rows: concurrent writers add to a row's sums, never overwrite them. */
export async function mysqlAddHourly(db: Kysely<Database>, rows: ReadonlyArray<UsageHourlyTable>): Promise<void> {
  if (rows.length === 0) return;
  const params: unknown[] = [];
  for (const row of rows) for (const column of HOURLY_COLUMNS) params.push(row[column]);
  const text = cachedText(
    hourlyTexts,
    rows.length,
    (values) =>
      `insert into usage_hourly (${HOURLY_COLUMNS.join(', ')}) values ${values} on duplicate key update ${HOURLY_SUMS.map((c) => `${c} = ${c} + values(${c})`).join(', ')}`,
    HOURLY_COLUMNS.length,
  );
  await db.executeQuery(CompiledQuery.raw(text, params));
}
