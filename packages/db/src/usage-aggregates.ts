import { createHash } from 'node:crypto';
import { MysqlAdapter, sql, type Kysely } from 'kysely';
import type { Database } from './database';
import { toNumber } from './json-column';
import type { UsageRecordsTable } from './usage-records.table';

export const HOUR_MS = 3_600_000;

/**
 * One row per hour and dimension tuple. Null dimensions are stored as '' so they take part in the
 * primary key; `dims_key` (sha256 of the tuple) keeps that key short enough for InnoDB whatever the
 * route and model lengths are.
 */
// Type aliases (not interfaces): Kysely's withTables wants an indexable record type.
export type UsageHourlyTable = {
  bucket: number;
  dims_key: string;
  user_id: string;
  token_id: string;
  route: string;
  provider: string;
  model: string;
  status_class: number;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_micros: number;
  priced_requests: number;
  unpriced_requests: number;
  latency_ms_sum: number;
};

export type UsageAggregatesSchema = {
  usage_hourly: UsageHourlyTable;
};

export type AggregatesDb = Kysely<Database & UsageAggregatesSchema>;

export const withAggregates = (db: Kysely<Database>): AggregatesDb => db.withTables<UsageAggregatesSchema>();

type Dims = Pick<UsageHourlyTable, 'user_id' | 'token_id' | 'route' | 'provider' | 'model' | 'status_class'>;

/** The text `dims_key` hashes: the dimension tuple as JSON (unambiguous whatever the values contain). */
const dimsTuple = (d: Dims): string =>
  JSON.stringify([d.user_id, d.token_id, d.route, d.provider, d.model, d.status_class]);

const hashTuple = (tuple: string): string => createHash('sha256').update(tuple).digest('hex');

export const dimsKey = (d: Dims): string => hashTuple(dimsTuple(d));

type RawForAggregate = Pick<
  UsageRecordsTable,
  | 'created_at'
  | 'user_id'
  | 'token_id'
  | 'route'
  | 'provider'
  | 'model'
  | 'status'
  | 'outcome'
  | 'prompt_tokens'
  | 'completion_tokens'
  | 'cost_micros'
  | 'latency_ms'
>;

/** Folds raw rows into hourly rows (same rules as the raw-row queries: error = outcome not ok, unpriced = served by a provider without a cost). */
export function aggregateUsageRows(rows: ReadonlyArray<RawForAggregate>): UsageHourlyTable[] {
  const out = new Map<string, UsageHourlyTable>();
  for (const r of rows) {
    const at = Number(r.created_at);
    const dims = {
      user_id: r.user_id,
      token_id: r.token_id ?? '',
      route: r.route,
      provider: r.provider ?? '',
      model: r.model ?? '',
      status_class: Math.floor(Number(r.status) / 100),
    };
    const bucket = at - (at % HOUR_MS);
    // Grouped by the tuple itself: the hash is computed once per hourly row, not once per event
    // (a measured share of the usage writer's time, docs/usage.md "Aggregates and retention").
    const tuple = dimsTuple(dims);
    const mapKey = `${bucket}:${tuple}`;
    let agg = out.get(mapKey);
    if (agg === undefined) {
      agg = {
        bucket,
        dims_key: hashTuple(tuple),
        ...dims,
        requests: 0,
        errors: 0,
        prompt_tokens: 0,
        completion_tokens: 0,
        cost_micros: 0,
        priced_requests: 0,
        unpriced_requests: 0,
        latency_ms_sum: 0,
      };
      out.set(mapKey, agg);
    }
    agg.requests += 1;
    if (r.outcome !== 'ok') agg.errors += 1;
    agg.prompt_tokens += Number(r.prompt_tokens);
    agg.completion_tokens += Number(r.completion_tokens);
    if (r.cost_micros !== null) {
      agg.cost_micros += Number(r.cost_micros);
      agg.priced_requests += 1;
    } else if (r.provider !== null) agg.unpriced_requests += 1;
    agg.latency_ms_sum += Number(r.latency_ms);
  }
  return [...out.values()];
}

/** The hourly columns a write adds to (the others are the row's key and dimensions). */
export const HOURLY_SUMS = [
  'requests',
  'errors',
  'prompt_tokens',
  'completion_tokens',
  'cost_micros',
  'priced_requests',
  'unpriced_requests',
  'latency_ms_sum',
] as const;

/** Adds hourly rows to the table (upsert per dialect; concurrent writers add, never overwrite). */
export async function addUsageHourly(db: Kysely<Database>, rows: ReadonlyArray<UsageHourlyTable>): Promise<void> {
  const adb = withAggregates(db);
  const mysql = db.getExecutor().adapter instanceof MysqlAdapter;
  // 16 columns per row: 50 rows stay under SQLite's bound-parameter limit.
  for (let i = 0; i < rows.length; i += 50) {
    const chunk = rows.slice(i, i + 50);
    const insert = adb.insertInto('usage_hourly').values(chunk);
    if (mysql) {
      await insert
        .onDuplicateKeyUpdate(
          Object.fromEntries(HOURLY_SUMS.map((c) => [c, sql`${sql.ref(c)} + values(${sql.ref(c)})`])),
        )
        .execute();
    } else {
      await insert
        .onConflict((oc) =>
          oc
            .columns(['bucket', 'dims_key'])
            .doUpdateSet(
              Object.fromEntries(
                HOURLY_SUMS.map((c) => [c, sql`${sql.ref(`usage_hourly.${c}`)} + ${sql.ref(`excluded.${c}`)}`]),
              ),
            ),
        )
        .execute();
    }
  }
}

/**
 * Retention: deletes raw rows created before `olderThanMs` (epoch ms). Aggregates stay, so totals,
 * series and groups over whole hours are unchanged; only the `recent` list and sub-hour edges of a
 * range lose the pruned rows. Returns how many raw rows were deleted.
 */
export async function pruneUsageRecords(db: Kysely<Database>, olderThanMs: number): Promise<number> {
  // Cut on an hour boundary so a range edge never mixes kept and pruned rows of one hour.
  const cutoff = olderThanMs - (olderThanMs % HOUR_MS);
  const result = await db.deleteFrom('usage_records').where('created_at', '<', cutoff).executeTakeFirst();
  return toNumber(result.numDeletedRows);
}
