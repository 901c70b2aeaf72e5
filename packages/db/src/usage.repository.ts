import { Kysely, MysqlAdapter, sql } from 'kysely';
import type { UsageAttempt, UsageEvent } from '@aisbf/core';
import type { Database } from './database';
import { fromBool, readJson, toBool, toNumber } from './json-column';
import { mysqlInsertOptimisticPrepared, type MysqlPool } from './mysql-usage-prepared';
import { mysqlAddHourly, mysqlInsertIgnoreRecords, MYSQL_CHUNK_ROWS } from './mysql-usage-sql';
import { addUsageHourly, aggregateUsageRows, HOUR_MS, withAggregates } from './usage-aggregates';
import {
  DEFAULT_USAGE_GROUP_LIMIT,
  MAX_USAGE_GROUP_LIMIT,
  queryTopUsageGroups,
  type UsageGroupBy,
  type UsageGroupOrder,
  type UsageSegment,
} from './usage-groups';
import type { UsageRecordRow, UsageRecordsTable } from './usage-records.table';

/** The row an event is stored as (both write paths: this file's and sqlite-usage-writer.ts). */
export const toUsageRecord = (e: UsageEvent): UsageRecordsTable => ({
  id: e.id,
  request_id: e.requestId,
  created_at: e.at,
  user_id: e.userId,
  token_id: e.tokenId,
  route: e.route.slice(0, 400),
  provider: e.provider,
  provider_owner_id: e.providerOwnerId,
  model: e.model,
  endpoint: e.endpoint,
  stream: fromBool(e.stream),
  status: e.status,
  outcome: e.outcome,
  prompt_tokens: e.promptTokens,
  completion_tokens: e.completionTokens,
  estimated: fromBool(e.estimated),
  latency_ms: Math.round(e.latencyMs),
  ttfb_ms: e.ttfbMs === null ? null : Math.round(e.ttfbMs),
  attempts: JSON.stringify(e.attempts),
  autoselect_reason: e.autoselectReason ?? null,
  cost_micros: e.costMicros ?? null,
  cache_hit: fromBool(e.cacheHit ?? false),
  condensed: e.condensed ?? null,
});

/** A concurrent writer inserted some of the same ids between our check and our insert. */
class RedeliveryRace extends Error {}

/** An optimistic insert found ids already stored (a redelivered batch): roll back, take the checked path. */
class KnownIds extends Error {}

const isMysql = (db: Kysely<Database>): boolean => db.getExecutor().adapter instanceof MysqlAdapter;

/**
 * The normal case: every id is new. One insert-or-ignore of the whole chunk and its aggregates, no
 * read first; if it stored fewer rows than it was given, some ids were known (or repeated in the
 * batch) and the transaction is rolled back for `insertChecked`.
 */
async function insertOptimistic(trx: Kysely<Database>, chunk: ReadonlyArray<UsageRecordsTable>): Promise<number> {
  const mysql = isMysql(trx);
  const inserted = mysql
    ? await mysqlInsertIgnoreRecords(trx, chunk)
    : Number(
        (await trx.insertInto('usage_records').orIgnore().values(chunk).executeTakeFirst()).numInsertedOrUpdatedRows ??
          0,
      );
  if (inserted !== chunk.length) throw new KnownIds();
  const hourly = aggregateUsageRows(chunk);
  await (mysql ? mysqlAddHourly(trx, hourly) : addUsageHourly(trx, hourly));
  return inserted;
}

/** Inserts the rows whose ids are new and adds exactly those to the hourly aggregates, atomically. */
async function insertChecked(trx: Kysely<Database>, chunk: ReadonlyArray<UsageRecordsTable>): Promise<number> {
  const existing = await trx
    .selectFrom('usage_records')
    .select('id')
    .where(
      'id',
      'in',
      chunk.map((r) => r.id),
    )
    .execute();
  const seen = new Set(existing.map((r) => r.id));
  const fresh: UsageRecordsTable[] = [];
  for (const row of chunk) {
    if (seen.has(row.id)) continue;
    seen.add(row.id); // a batch may carry the same event twice
    fresh.push(row);
  }
  if (fresh.length === 0) return 0;
  const result = await trx.insertInto('usage_records').orIgnore().values(fresh).executeTakeFirst();
  const inserted = Number(result.numInsertedOrUpdatedRows ?? 0);
  // Aggregates must count only rows really inserted; if another writer won a race, roll back and re-check.
  if (inserted !== fresh.length) throw new RedeliveryRace();
  await addUsageHourly(trx, aggregateUsageRows(fresh));
  return inserted;
}

/**
 * Rows per statement. MySQL: a default 500-event batch is one statement and one transaction
 * (mysql-usage-sql.ts). SQLite: 200 rows stay well under its bound-parameter limit.
 */
const chunkRows = (db: Kysely<Database>): number => (isMysql(db) ? MYSQL_CHUNK_ROWS : 200);

/**
 * Where `insertUsageEvents` writes: the database, and on MySQL/MariaDB the mysql2 pool under it
 * (`DatabaseHandle.mysql`) for the optimistic write's prepared statements. A `DatabaseHandle` is one.
 */
export interface UsageWriteTarget {
  db: Kysely<Database>;
  mysql?: MysqlPool;
}

/**
 * Batch insert-or-ignore by event id: a redelivered batch (worker crash between write and ack)
 * inserts nothing twice, and the hourly aggregates count each event once (same transaction).
 * Returns how many rows were new. Given the MySQL pool (a `DatabaseHandle` or `{ db, mysql }`),
 * the optimistic write of each chunk goes through prepared statements (mysql-usage-prepared.ts);
 * given only `db`, through kysely's connection as SQL text. The checked path is the same either way.
 */
export async function insertUsageEvents(
  target: Kysely<Database> | UsageWriteTarget,
  events: ReadonlyArray<UsageEvent>,
): Promise<number> {
  const { db, mysql } = target instanceof Kysely ? { db: target, mysql: undefined } : target;
  let inserted = 0;
  const size = chunkRows(db);
  for (let i = 0; i < events.length; i += size) {
    const rows = events.slice(i, i + size).map(toUsageRecord);
    // Inside a caller's transaction nothing can be rolled back on its own: the checked path only.
    if (db.isTransaction) inserted += await insertChecked(db, rows);
    else inserted += await insertChunk(db, rows, mysql);
  }
  return inserted;
}

/** One chunk in a transaction of its own: optimistically, then (some ids known) checked, up to three tries. */
async function insertChunk(
  db: Kysely<Database>,
  rows: ReadonlyArray<UsageRecordsTable>,
  mysql: MysqlPool | undefined,
): Promise<number> {
  try {
    if (mysql === undefined) return await db.transaction().execute((trx) => insertOptimistic(trx, rows));
    if (await mysqlInsertOptimisticPrepared(mysql, rows)) return rows.length;
  } catch (err) {
    if (!(err instanceof KnownIds || isRace(err))) throw err;
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute((trx) => insertChecked(trx, rows));
    } catch (err) {
      if (!isRace(err) || attempt >= 3) throw err;
    }
  }
}

/** Another writer of the same ids won: our read was stale, or MySQL chose us as a deadlock victim (errno 1213). */
const isRace = (err: unknown): boolean =>
  err instanceof RedeliveryRace ||
  (typeof err === 'object' && err !== null && (err as { errno?: unknown }).errno === 1213);

export interface UsageRow {
  id: string;
  requestId: string;
  at: number;
  userId: string;
  tokenId: string | null;
  route: string;
  provider: string | null;
  model: string | null;
  endpoint: string;
  stream: boolean;
  status: number;
  outcome: string;
  promptTokens: number;
  completionTokens: number;
  estimated: boolean;
  latencyMs: number;
  ttfbMs: number | null;
  attempts: UsageAttempt[];
  autoselectReason: string | null;
  costMicros: number | null;
  /** What condensation did to the prompt, when it ran (docs/context.md). */
  condensed: string | null;
}

export const toUsageRow = (r: UsageRecordRow): UsageRow => ({
  id: r.id,
  requestId: r.request_id,
  at: Number(r.created_at),
  userId: r.user_id,
  tokenId: r.token_id,
  route: r.route,
  provider: r.provider,
  model: r.model,
  endpoint: r.endpoint,
  stream: toBool(r.stream),
  status: Number(r.status),
  outcome: r.outcome,
  promptTokens: Number(r.prompt_tokens),
  completionTokens: Number(r.completion_tokens),
  estimated: toBool(r.estimated),
  latencyMs: Number(r.latency_ms),
  ttfbMs: r.ttfb_ms === null ? null : Number(r.ttfb_ms),
  attempts: (readJson(r.attempts) as UsageAttempt[] | null) ?? [],
  autoselectReason: r.autoselect_reason,
  costMicros: r.cost_micros === null ? null : Number(r.cost_micros),
  condensed: r.condensed ?? null,
});

export interface UsageFilter {
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  userId?: string;
  tokenId?: string;
  route?: string;
  provider?: string;
  groupBy?: UsageGroupBy;
  /** What ranks the groups (default requests). */
  groupOrder?: UsageGroupOrder;
  /** How many groups to list, 1 to 500 (default 50); the rest are summed into `others`. */
  groupLimit?: number;
  bucket?: 'hour' | 'day';
  recentLimit?: number;
}

export interface UsageTotals {
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  costMicros: number | null;
  /** Served requests whose model has no price (cost_micros null): flagged, never a silent 0 (docs/usage.md). */
  unpricedRequests: number;
}

export interface UsageSeriesPoint extends Pick<
  UsageTotals,
  'requests' | 'errors' | 'promptTokens' | 'completionTokens'
> {
  t: number;
}

export interface UsageGroup extends UsageTotals {
  key: string;
}

/** The groups past the report's bound, summed; `count` is how many there are. */
export interface UsageOthers extends UsageTotals {
  count: number;
}

export interface UsageReport {
  totals: UsageTotals;
  series: UsageSeriesPoint[];
  /** The largest groups by `groupOrder`, at most `groupLimit` of them. */
  groups: UsageGroup[];
  /** What the groups past `groupLimit` add up to; null when none was left out (or no grouping). */
  others: UsageOthers | null;
  recent: UsageRow[];
}
const BUCKET_MS = { hour: 3_600_000, day: 86_400_000 } as const;

interface UsagePart {
  t: number;
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  costMicros: number;
  priced: number;
  unpriced: number;
}

const toPartial = (r: Record<string, unknown>): UsagePart => ({
  t: toNumber(r.t),
  requests: toNumber(r.requests),
  errors: toNumber(r.errors),
  promptTokens: toNumber(r.prompt_tokens),
  completionTokens: toNumber(r.completion_tokens),
  costMicros: toNumber(r.cost_micros),
  priced: toNumber(r.priced),
  unpriced: toNumber(r.unpriced),
});

/** Raw rows in [from, to): used only for the sub-hour edges of a range. */
async function rawPartials(
  db: Kysely<Database>,
  filter: UsageFilter,
  from: number | undefined,
  to: number | undefined,
): Promise<UsagePart[]> {
  let q = db.selectFrom('usage_records');
  if (from !== undefined) q = q.where('created_at', '>=', from);
  if (to !== undefined) q = q.where('created_at', '<', to);
  if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
  if (filter.tokenId !== undefined) q = q.where('token_id', '=', filter.tokenId);
  if (filter.route !== undefined) q = q.where('route', '=', filter.route);
  if (filter.provider !== undefined) q = q.where('provider', '=', filter.provider);
  // The bucket width is a literal from a closed set, so MySQL's ONLY_FULL_GROUP_BY sees one expression.
  const width = sql.lit(BUCKET_MS[filter.bucket ?? 'hour']);
  const bucket = sql<number>`created_at - (created_at % ${width})`;
  const grouped = q
    .select((eb) => [
      bucket.as('t'),
      eb.fn.countAll().as('requests'),
      sql<number>`sum(case when outcome <> 'ok' then 1 else 0 end)`.as('errors'),
      eb.fn.sum('prompt_tokens').as('prompt_tokens'),
      eb.fn.sum('completion_tokens').as('completion_tokens'),
      eb.fn.sum('cost_micros').as('cost_micros'),
      sql<number>`sum(case when cost_micros is not null then 1 else 0 end)`.as('priced'),
      sql<number>`sum(case when cost_micros is null and provider is not null then 1 else 0 end)`.as('unpriced'),
    ])
    .groupBy(bucket);
  return (await grouped.execute()).map((r) => toPartial(r as Record<string, unknown>));
}

/** Hourly aggregates for whole hours in [from, to). */
async function hourlyPartials(
  db: Kysely<Database>,
  filter: UsageFilter,
  from: number | undefined,
  to: number | undefined,
): Promise<UsagePart[]> {
  let q = withAggregates(db).selectFrom('usage_hourly');
  if (from !== undefined) q = q.where('bucket', '>=', from);
  if (to !== undefined) q = q.where('bucket', '<', to);
  if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
  if (filter.tokenId !== undefined) q = q.where('token_id', '=', filter.tokenId);
  if (filter.route !== undefined) q = q.where('route', '=', filter.route);
  if (filter.provider !== undefined) q = q.where('provider', '=', filter.provider);
  const width = BUCKET_MS[filter.bucket ?? 'hour'];
  // Summed per (hour, model) first, the order of the covering (bucket, model, sums…) index: MySQL
  // reads the index in order with no temporary table (grouped by the hour alone it reads the wider
  // primary key instead, half as fast again on a month). The outer query adds the models up per
  // hour, so one row per hour comes back whatever the grouping (groups: usage-groups.ts).
  const perModel = q
    .select((eb) => [
      'bucket as t',
      eb.fn.sum('requests').as('requests'),
      eb.fn.sum('errors').as('errors'),
      eb.fn.sum('prompt_tokens').as('prompt_tokens'),
      eb.fn.sum('completion_tokens').as('completion_tokens'),
      eb.fn.sum('cost_micros').as('cost_micros'),
      eb.fn.sum('priced_requests').as('priced'),
      eb.fn.sum('unpriced_requests').as('unpriced'),
    ])
    .groupBy(['bucket', 'model']);
  const grouped = sql<Record<string, unknown>>`
    select t, sum(requests) as requests, sum(errors) as errors, sum(prompt_tokens) as prompt_tokens,
      sum(completion_tokens) as completion_tokens, sum(cost_micros) as cost_micros,
      sum(priced) as priced, sum(unpriced) as unpriced
    from ${perModel} as per_model
    group by t`;
  // Days are folded here.
  return (await grouped.execute(db)).rows.map((r) => {
    const part = toPartial(r);
    return { ...part, t: part.t - (part.t % width) };
  });
}

/**
 * The parts of [from, to): whole hours from the hourly aggregates, the sub-hour edges (before the
 * first whole hour, after the last) from raw rows.
 */
function segmentsOf(from: number | undefined, to: number | undefined): UsageSegment[] {
  const hourFrom = from === undefined ? undefined : Math.ceil(from / HOUR_MS) * HOUR_MS;
  const hourTo = to === undefined ? undefined : Math.floor(to / HOUR_MS) * HOUR_MS;
  if (hourFrom !== undefined && hourTo !== undefined && hourFrom >= hourTo) return [{ source: 'raw', from, to }];
  const segments: UsageSegment[] = [];
  if (from !== undefined && hourFrom !== undefined && from < hourFrom)
    segments.push({ source: 'raw', from, to: hourFrom });
  segments.push({ source: 'hourly', from: hourFrom, to: hourTo });
  if (to !== undefined && hourTo !== undefined && hourTo < to) segments.push({ source: 'raw', from: hourTo, to });
  return segments;
}

const RANKED_BY = {
  requests: (g: UsageGroup) => g.requests,
  tokens: (g: UsageGroup) => g.promptTokens + g.completionTokens,
  cost: (g: UsageGroup) => g.costMicros ?? 0,
} as const;

/**
 * Totals, a time series and groups from the hourly aggregates (whole hours) plus raw rows for the
 * sub-hour edges of the range, so months read hours, not rows; `recent` lists the newest raw rows.
 * Groups are bounded: the database ranks them and returns the first `groupLimit`; the rest are the
 * totals minus those, in `others` (docs/usage.md "Usage queries").
 */
export async function queryUsage(db: Kysely<Database>, filter: UsageFilter = {}): Promise<UsageReport> {
  const { from, to } = filter;
  const segments = segmentsOf(from, to);
  const order = filter.groupOrder ?? 'requests';
  const limit = Math.min(
    MAX_USAGE_GROUP_LIMIT,
    Math.max(1, Math.floor(filter.groupLimit ?? DEFAULT_USAGE_GROUP_LIMIT)),
  );
  // The series and the groups each read the range once; on MySQL's pool they run side by side.
  const [partLists, top] = await Promise.all([
    Promise.all(
      segments.map((seg) => (seg.source === 'raw' ? rawPartials : hourlyPartials)(db, filter, seg.from, seg.to)),
    ),
    filter.groupBy === undefined
      ? undefined
      : queryTopUsageGroups(db, { filter, groupBy: filter.groupBy, segments, order, limit }),
  ]);
  const parts = partLists.flat();

  const totals: UsageTotals = {
    requests: 0,
    errors: 0,
    promptTokens: 0,
    completionTokens: 0,
    costMicros: null,
    unpricedRequests: 0,
  };
  let priced = 0;
  let cost = 0;
  const series = new Map<number, UsageSeriesPoint>();
  for (const p of parts) {
    totals.requests += p.requests;
    totals.errors += p.errors;
    totals.promptTokens += p.promptTokens;
    totals.completionTokens += p.completionTokens;
    totals.unpricedRequests += p.unpriced;
    priced += p.priced;
    cost += p.costMicros;
    const point = series.get(p.t) ?? { t: p.t, requests: 0, errors: 0, promptTokens: 0, completionTokens: 0 };
    point.requests += p.requests;
    point.errors += p.errors;
    point.promptTokens += p.promptTokens;
    point.completionTokens += p.completionTokens;
    series.set(p.t, point);
  }
  // Like SQL's sum(): no priced request at all means no cost, not 0.
  totals.costMicros = priced > 0 ? cost : null;

  let groups: UsageGroup[] = [];
  let others: UsageOthers | null = null;
  if (top !== undefined) {
    const rank = RANKED_BY[order];
    groups = top.rows
      .map((g) => ({
        key: g.key === '' ? '(none)' : g.key,
        requests: g.requests,
        errors: g.errors,
        promptTokens: g.promptTokens,
        completionTokens: g.completionTokens,
        costMicros: g.priced > 0 ? g.costMicros : null,
        unpricedRequests: g.unpriced,
      }))
      .sort((a, b) => rank(b) - rank(a) || a.key.localeCompare(b.key));
    if (top.count > top.rows.length) {
      const listed = top.rows;
      const sum = (pick: (g: (typeof listed)[number]) => number): number => listed.reduce((n, g) => n + pick(g), 0);
      const othersPriced = priced - sum((g) => g.priced);
      others = {
        count: top.count - top.rows.length,
        requests: totals.requests - sum((g) => g.requests),
        errors: totals.errors - sum((g) => g.errors),
        promptTokens: totals.promptTokens - sum((g) => g.promptTokens),
        completionTokens: totals.completionTokens - sum((g) => g.completionTokens),
        costMicros: othersPriced > 0 ? cost - sum((g) => g.costMicros) : null,
        unpricedRequests: totals.unpricedRequests - sum((g) => g.unpriced),
      };
    }
  }

  // Bounded: the newest rows in range only (index on created_at).
  let recentQuery = db.selectFrom('usage_records');
  if (from !== undefined) recentQuery = recentQuery.where('created_at', '>=', from);
  if (to !== undefined) recentQuery = recentQuery.where('created_at', '<', to);
  if (filter.userId !== undefined) recentQuery = recentQuery.where('user_id', '=', filter.userId);
  if (filter.tokenId !== undefined) recentQuery = recentQuery.where('token_id', '=', filter.tokenId);
  if (filter.route !== undefined) recentQuery = recentQuery.where('route', '=', filter.route);
  if (filter.provider !== undefined) recentQuery = recentQuery.where('provider', '=', filter.provider);
  // (created_at desc, id desc) is the created_at index read backwards on InnoDB (it carries the
  // primary key), so a month-wide range stops after `limit` rows instead of sorting them all.
  const recentRows = await recentQuery
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.recentLimit ?? 50)
    .execute();
  return {
    totals,
    series: [...series.values()].sort((a, b) => a.t - b.t),
    groups,
    others,
    recent: recentRows.map(toUsageRow),
  };
}
