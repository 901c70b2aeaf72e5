import { sql, type Kysely } from 'kysely';
import type { UsageAttempt, UsageEvent } from '@aisbf/core';
import type { Database } from './database';
import { fromBool, readJson, toBool, toNumber } from './json-column';
import type { UsageRecordRow, UsageRecordsTable } from './usage-records.table';

const toRow = (e: UsageEvent): UsageRecordsTable => ({
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
});

/**
 * Batch insert-or-ignore by event id: a redelivered batch (worker crash between write and ack)
 * inserts nothing twice. Returns how many rows were new.
 */
export async function insertUsageEvents(db: Kysely<Database>, events: ReadonlyArray<UsageEvent>): Promise<number> {
  let inserted = 0;
  // 22 columns per row: 200 rows stay well under SQLite's bound-parameter limit.
  for (let i = 0; i < events.length; i += 200) {
    const rows = events.slice(i, i + 200).map(toRow);
    const result = await db.insertInto('usage_records').orIgnore().values(rows).executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
  }
  return inserted;
}

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
});

export type UsageGroupBy = 'route' | 'provider' | 'model' | 'token' | 'user';

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
  bucket?: 'hour' | 'day';
  recentLimit?: number;
}

export interface UsageTotals {
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  costMicros: number | null;
  /** Served requests whose model has no price (cost_micros null): flagged, never a silent 0 (issue 11). */
  unpricedRequests: number;
}

export interface UsageSeriesPoint {
  t: number;
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
}

export interface UsageGroup {
  key: string;
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  costMicros: number | null;
  unpricedRequests: number;
}

export interface UsageReport {
  totals: UsageTotals;
  series: UsageSeriesPoint[];
  groups: UsageGroup[];
  recent: UsageRow[];
}

const GROUP_COLUMN = { route: 'route', provider: 'provider', model: 'model', token: 'token_id', user: 'user_id' } as const;
const BUCKET_MS = { hour: 3_600_000, day: 86_400_000 } as const;

/** Aggregates in SQL (both dialects): totals, a time series, groups and the newest rows. */
export async function queryUsage(db: Kysely<Database>, filter: UsageFilter = {}): Promise<UsageReport> {
  const base = () => {
    let q = db.selectFrom('usage_records');
    if (filter.from !== undefined) q = q.where('created_at', '>=', filter.from);
    if (filter.to !== undefined) q = q.where('created_at', '<', filter.to);
    if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
    if (filter.tokenId !== undefined) q = q.where('token_id', '=', filter.tokenId);
    if (filter.route !== undefined) q = q.where('route', '=', filter.route);
    if (filter.provider !== undefined) q = q.where('provider', '=', filter.provider);
    return q;
  };
  const errors = sql<number>`sum(case when outcome <> 'ok' then 1 else 0 end)`;
  const unpriced = sql<number>`sum(case when cost_micros is null and provider is not null then 1 else 0 end)`;
  const totalsRow = await base()
    .select((eb) => [
      eb.fn.countAll().as('requests'),
      errors.as('errors'),
      eb.fn.sum('prompt_tokens').as('prompt_tokens'),
      eb.fn.sum('completion_tokens').as('completion_tokens'),
      eb.fn.sum('cost_micros').as('cost_micros'),
      unpriced.as('unpriced'),
    ])
    .executeTakeFirstOrThrow();
  const totals: UsageTotals = {
    requests: toNumber(totalsRow.requests),
    errors: toNumber(totalsRow.errors),
    promptTokens: toNumber(totalsRow.prompt_tokens),
    completionTokens: toNumber(totalsRow.completion_tokens),
    costMicros: totalsRow.cost_micros === null ? null : toNumber(totalsRow.cost_micros),
    unpricedRequests: toNumber(totalsRow.unpriced),
  };

  // The bucket width is a literal from a closed set, so MySQL's ONLY_FULL_GROUP_BY sees one expression.
  const width = sql.lit(BUCKET_MS[filter.bucket ?? 'hour']);
  const bucket = sql<number>`created_at - (created_at % ${width})`;
  const seriesRows = await base()
    .select((eb) => [bucket.as('t'), eb.fn.countAll().as('requests'), errors.as('errors'), eb.fn.sum('prompt_tokens').as('prompt_tokens'), eb.fn.sum('completion_tokens').as('completion_tokens')])
    .groupBy(bucket)
    .orderBy(bucket)
    .execute();
  const series = seriesRows.map((r) => ({
    t: toNumber(r.t),
    requests: toNumber(r.requests),
    errors: toNumber(r.errors),
    promptTokens: toNumber(r.prompt_tokens),
    completionTokens: toNumber(r.completion_tokens),
  }));

  let groups: UsageGroup[] = [];
  if (filter.groupBy !== undefined) {
    const column = GROUP_COLUMN[filter.groupBy];
    const groupRows = await base()
      .select((eb) => [eb.ref(column).as('key'), eb.fn.countAll().as('requests'), errors.as('errors'), eb.fn.sum('prompt_tokens').as('prompt_tokens'), eb.fn.sum('completion_tokens').as('completion_tokens'), eb.fn.sum('cost_micros').as('cost_micros'), unpriced.as('unpriced')])
      .groupBy(column)
      .execute();
    groups = groupRows
      .map((r) => ({
        key: r.key === null ? '(none)' : String(r.key),
        requests: toNumber(r.requests),
        errors: toNumber(r.errors),
        promptTokens: toNumber(r.prompt_tokens),
        completionTokens: toNumber(r.completion_tokens),
        costMicros: r.cost_micros === null ? null : toNumber(r.cost_micros),
        unpricedRequests: toNumber(r.unpriced),
      }))
      .sort((a, b) => b.requests - a.requests || a.key.localeCompare(b.key));
  }

  const recentRows = await base()
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(filter.recentLimit ?? 50)
    .execute();
  return { totals, series, groups, recent: recentRows.map(toUsageRow) };
}
