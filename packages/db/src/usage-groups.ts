import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './database';
import { toNumber } from './json-column';
import { withAggregates } from './usage-aggregates';

/** How many groups a usage report lists when the caller names no bound (docs/usage.md "Usage queries"). */
export const DEFAULT_USAGE_GROUP_LIMIT = 50;
/** The most groups one report lists; what is past the bound is summed into `others`. */
export const MAX_USAGE_GROUP_LIMIT = 500;

export type UsageGroupBy = 'route' | 'provider' | 'model' | 'token' | 'user';
/** What ranks the groups: requests, tokens (prompt + completion) or cost. */
export type UsageGroupOrder = 'requests' | 'tokens' | 'cost';

const GROUP_COLUMN = {
  route: 'route',
  provider: 'provider',
  model: 'model',
  token: 'token_id',
  user: 'user_id',
} as const;

/** The filter columns both usage tables carry (the hourly table stores a null dimension as ''). */
export interface UsageGroupFilter {
  userId?: string;
  tokenId?: string;
  route?: string;
  provider?: string;
}

/** A part of the range and where it is read from: whole hours from `usage_hourly`, edges from raw rows. */
export interface UsageSegment {
  source: 'raw' | 'hourly';
  from: number | undefined;
  to: number | undefined;
}

export interface UsageGroupSums {
  key: string;
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  costMicros: number;
  priced: number;
  unpriced: number;
}

export interface TopUsageGroups {
  rows: UsageGroupSums[];
  /** How many distinct keys the range holds, the listed ones included. */
  count: number;
}

function rawBranch(
  db: Kysely<Database>,
  filter: UsageGroupFilter,
  column: string,
  seg: UsageSegment,
): RawBuilder<unknown> {
  let q = db.selectFrom('usage_records');
  if (seg.from !== undefined) q = q.where('created_at', '>=', seg.from);
  if (seg.to !== undefined) q = q.where('created_at', '<', seg.to);
  if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
  if (filter.tokenId !== undefined) q = q.where('token_id', '=', filter.tokenId);
  if (filter.route !== undefined) q = q.where('route', '=', filter.route);
  if (filter.provider !== undefined) q = q.where('provider', '=', filter.provider);
  const built = q
    .select((eb) => [
      sql.ref(column).as('k'),
      eb.fn.countAll().as('requests'),
      sql<number>`sum(case when outcome <> 'ok' then 1 else 0 end)`.as('errors'),
      eb.fn.sum('prompt_tokens').as('prompt_tokens'),
      eb.fn.sum('completion_tokens').as('completion_tokens'),
      eb.fn.sum('cost_micros').as('cost_micros'),
      sql<number>`sum(case when cost_micros is not null then 1 else 0 end)`.as('priced'),
      sql<number>`sum(case when cost_micros is null and provider is not null then 1 else 0 end)`.as('unpriced'),
    ])
    .groupBy(column as 'route');
  return sql`${built}`;
}

function hourlyBranch(
  db: Kysely<Database>,
  filter: UsageGroupFilter,
  column: string,
  seg: UsageSegment,
): RawBuilder<unknown> {
  let q = withAggregates(db).selectFrom('usage_hourly');
  if (seg.from !== undefined) q = q.where('bucket', '>=', seg.from);
  if (seg.to !== undefined) q = q.where('bucket', '<', seg.to);
  if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
  if (filter.tokenId !== undefined) q = q.where('token_id', '=', filter.tokenId);
  if (filter.route !== undefined) q = q.where('route', '=', filter.route);
  if (filter.provider !== undefined) q = q.where('provider', '=', filter.provider);
  const built = q
    .select((eb) => [
      sql.ref(column).as('k'),
      eb.fn.sum('requests').as('requests'),
      eb.fn.sum('errors').as('errors'),
      eb.fn.sum('prompt_tokens').as('prompt_tokens'),
      eb.fn.sum('completion_tokens').as('completion_tokens'),
      eb.fn.sum('cost_micros').as('cost_micros'),
      eb.fn.sum('priced_requests').as('priced'),
      eb.fn.sum('unpriced_requests').as('unpriced'),
    ])
    // By model, (hour, model) is the order of the covering (bucket, model, sums…) index: MySQL sums
    // while reading it, no temporary table; the outer query adds the hours up per model.
    .groupBy(column === 'model' ? ['bucket', 'model'] : [column as 'route']);
  return sql`${built}`;
}

// Aggregates repeated in ORDER BY rather than named by alias: the derived table has columns of the
// same names, and the two dialects resolve such a name differently.
const RANK = {
  requests: sql`sum(requests)`,
  tokens: sql`sum(prompt_tokens) + sum(completion_tokens)`,
  cost: sql`coalesce(sum(cost_micros), 0)`,
} as const;

/**
 * The `limit` largest groups of the range by `order` (ties by key), summed over all its segments in
 * the database, and how many groups there are: a report grouped by user reads `limit` rows back
 * whatever the number of active users (docs/usage.md "Usage queries"). A null dimension and the
 * hourly table's '' are one group, keyed ''.
 */
export async function queryTopUsageGroups(
  db: Kysely<Database>,
  options: {
    filter: UsageGroupFilter;
    groupBy: UsageGroupBy;
    segments: ReadonlyArray<UsageSegment>;
    order: UsageGroupOrder;
    limit: number;
  },
): Promise<TopUsageGroups> {
  if (options.segments.length === 0) return { rows: [], count: 0 };
  const column = GROUP_COLUMN[options.groupBy];
  const branches = options.segments.map((seg) =>
    seg.source === 'raw' ? rawBranch(db, options.filter, column, seg) : hourlyBranch(db, options.filter, column, seg),
  );
  // Each branch a derived table of its own: SQLite refuses a parenthesised member of a UNION.
  const union = sql.join(
    branches.map((b, i) => sql`select * from ${b} as ${sql.ref(`b${i}`)}`),
    sql` union all `,
  );
  const key = sql`coalesce(k, '')`;
  // count(*) over () is evaluated after the grouping and before the limit: the number of groups.
  const result = await sql<Record<string, unknown>>`
    select ${key} as group_key, sum(requests) as requests, sum(errors) as errors,
      sum(prompt_tokens) as prompt_tokens, sum(completion_tokens) as completion_tokens,
      sum(cost_micros) as cost_micros, sum(priced) as priced, sum(unpriced) as unpriced,
      count(*) over () as group_count
    from (${union}) as u
    group by ${key}
    order by ${RANK[options.order]} desc, ${key} asc
    limit ${sql.lit(options.limit)}`.execute(db);
  const rows = result.rows.map((r) => ({
    key: String(r['group_key'] ?? ''),
    requests: toNumber(r['requests']),
    errors: toNumber(r['errors']),
    promptTokens: toNumber(r['prompt_tokens']),
    completionTokens: toNumber(r['completion_tokens']),
    costMicros: toNumber(r['cost_micros']),
    priced: toNumber(r['priced']),
    unpriced: toNumber(r['unpriced']),
  }));
  return { rows, count: result.rows.length === 0 ? 0 : toNumber(result.rows[0]!['group_count']) };
}
