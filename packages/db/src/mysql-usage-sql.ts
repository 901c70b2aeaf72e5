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

/** Rows per statement and per transaction on MySQL: a default 500-event batch is one of each. */
export const MYSQL_CHUNK_ROWS = 500;

// A statement holds at most 65,535 placeholders (the protocol's 16-bit count): a column added to
// either table must not push a full chunk past it (23 × 500 = 11,500 today).
for (const width of [RECORD_COLUMNS.length, HOURLY_COLUMNS.length])
  if (width * MYSQL_CHUNK_ROWS > 65_535) throw new Error(`${MYSQL_CHUNK_ROWS} rows × ${width} columns > 65,535`);

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

/** `INSERT IGNORE` of `rows` rows of `usage_records`. */
export const insertIgnoreText = (rows: number): string =>
  cachedText(
    insertTexts,
    rows,
    (values) => `insert ignore into usage_records (${RECORD_COLUMNS.join(', ')}) values ${values}`,
    RECORD_COLUMNS.length,
  );

/** Upsert of `rows` hourly rows: concurrent writers add to a row's sums, never overwrite them. */
export const addHourlyText = (rows: number): string =>
  cachedText(
    hourlyTexts,
    rows,
    (values) =>
      `insert into usage_hourly (${HOURLY_COLUMNS.join(', ')}) values ${values} on duplicate key update ${HOURLY_SUMS.map((c) => `${c} = ${c} + values(${c})`).join(', ')}`,
    HOURLY_COLUMNS.length,
  );

/** What the usage tables' columns hold. */
type SqlValue = string | number | null;

/**
 * The bound values of `rows[from, from + count)`, row by row in column order. `undefined` becomes
 * null: the text protocol writes it as NULL, the binary one (prepared statements) refuses it.
 */
function paramsOf<T extends { [K in keyof T]: SqlValue }>(
  rows: ReadonlyArray<T>,
  columns: ReadonlyArray<keyof T>,
  from: number,
  count: number,
): SqlValue[] {
  const params = new Array<SqlValue>(count * columns.length);
  let p = 0;
  for (let r = from; r < from + count; r++) {
    const row = rows[r]!;
    for (const column of columns) params[p++] = row[column] ?? null;
  }
  return params;
}

export const recordParams = (rows: ReadonlyArray<UsageRecordsTable>, from = 0, count = rows.length): SqlValue[] =>
  paramsOf(rows, RECORD_COLUMNS, from, count);

export const hourlyParams = (rows: ReadonlyArray<UsageHourlyTable>, from = 0, count = rows.length): SqlValue[] =>
  paramsOf(rows, HOURLY_COLUMNS, from, count);

/** `INSERT IGNORE` of the rows; resolves to how many were new. */
export async function mysqlInsertIgnoreRecords(
  db: Kysely<Database>,
  rows: ReadonlyArray<UsageRecordsTable>,
): Promise<number> {
  const result = await db.executeQuery(CompiledQuery.raw(insertIgnoreText(rows.length), recordParams(rows)));
  return Number(result.numAffectedRows ?? 0);
}

/** Adds hourly rows: concurrent writers add to a row's sums, never overwrite them. */
export async function mysqlAddHourly(db: Kysely<Database>, rows: ReadonlyArray<UsageHourlyTable>): Promise<void> {
  if (rows.length === 0) return;
  await db.executeQuery(CompiledQuery.raw(addHourlyText(rows.length), hourlyParams(rows)));
}
