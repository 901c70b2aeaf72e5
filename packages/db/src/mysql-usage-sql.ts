import { CompiledQuery, type Kysely } from 'kysely';
import type { Database } from './database';
import type { UsageHourlyTable } from './usage-aggregates';
import type { UsageRecordsTable } from './usage-records.table';

/**
 * The two statements a cluster worker runs per usage batch on MySQL/MariaDB, as SQL text cached per
 * row count. Written by hand on a measured hot path (docs/usage.md "Where usage goes"): built
 * through kysely, a 500-row insert was an AST of ~11,500 value nodes compiled on every batch,
 * about half of the worker's own CPU per event. Column lists are the tables' own; values are
 * always bound parameters, never spliced into the text.
 */
const RECORD_COLUMNS = [
  'id',
  'request_id',
  'created_at',
  'user_id',
  'token_id',
  'route',
  'provider',
  'provider_owner_id',
  'model',
  'endpoint',
  'stream',
  'status',
  'outcome',
  'prompt_tokens',
  'completion_tokens',
  'estimated',
  'latency_ms',
  'ttfb_ms',
  'attempts',
  'autoselect_reason',
  'cost_micros',
  'cache_hit',
  'condensed',
] as const satisfies ReadonlyArray<keyof UsageRecordsTable>;

const HOURLY_KEY_COLUMNS = [
  'bucket',
  'dims_key',
  'user_id',
  'token_id',
  'route',
  'provider',
  'model',
  'status_class',
] as const satisfies ReadonlyArray<keyof UsageHourlyTable>;

const HOURLY_SUM_COLUMNS = [
  'requests',
  'errors',
  'prompt_tokens',
  'completion_tokens',
  'cost_micros',
  'priced_requests',
  'unpriced_requests',
  'latency_ms_sum',
] as const satisfies ReadonlyArray<keyof UsageHourlyTable>;

const HOURLY_COLUMNS = [...HOURLY_KEY_COLUMNS, ...HOURLY_SUM_COLUMNS];

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
      `insert into usage_hourly (${HOURLY_COLUMNS.join(', ')}) values ${values} on duplicate key update ${HOURLY_SUM_COLUMNS.map((c) => `${c} = ${c} + values(${c})`).join(', ')}`,
    HOURLY_COLUMNS.length,
  );
  await db.executeQuery(CompiledQuery.raw(text, params));
}
