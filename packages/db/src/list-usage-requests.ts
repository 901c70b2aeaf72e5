import type { Kysely } from 'kysely';
import type { Database } from './database';
import { toBool } from './json-column';
import { toUsageRow, type UsageRow } from './usage.repository';

export interface UsageRequestFilter {
  userId?: string;
  tokenId?: string;
  route?: string;
  provider?: string;
  /** `ok`: 2xx answers; `error`: everything else; a number: that HTTP status. */
  status?: 'ok' | 'error' | number;
  /** Epoch ms, inclusive / exclusive. */
  from?: number;
  to?: number;
  /** Keyset cursor: rows strictly older than this (created_at, id) pair. */
  before?: { at: number; id: string };
  limit: number;
}

export type UsageRequestRow = UsageRow & { cacheHit: boolean };

/** The query of `listUsageRequests` (the tests EXPLAIN it), `limit + 1` rows. */
export function usageRequestsQuery(db: Kysely<Database>, filter: UsageRequestFilter) {
  let query = db.selectFrom('usage_records').selectAll();
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
  if (filter.tokenId !== undefined) query = query.where('token_id', '=', filter.tokenId);
  if (filter.route !== undefined) query = query.where('route', '=', filter.route);
  if (filter.provider !== undefined) query = query.where('provider', '=', filter.provider);
  if (filter.from !== undefined) query = query.where('created_at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('created_at', '<', filter.to);
  if (filter.status === 'ok') query = query.where('status', '>=', 200).where('status', '<', 300);
  else if (filter.status === 'error')
    query = query.where((eb) => eb.or([eb('status', '<', 200), eb('status', '>=', 300)]));
  else if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  const before = filter.before;
  if (before !== undefined)
    query = query.where((eb) =>
      eb.or([eb('created_at', '<', before.at), eb.and([eb('created_at', '=', before.at), eb('id', '<', before.id)])]),
    );
  return query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit + 1);
}

/**
 * One page of requests, newest first, for the request view (the attempts trail of each). Keyset
 * pagination on (created_at, id) reads the created_at index backwards and stops after `limit`
 * rows, so the hundredth page costs what the first does (no OFFSET scan).
 */
export async function listUsageRequests(
  db: Kysely<Database>,
  filter: UsageRequestFilter,
): Promise<{ rows: UsageRequestRow[]; next: { at: number; id: string } | null }> {
  const raw = await usageRequestsQuery(db, filter).execute();
  const page = raw.slice(0, filter.limit);
  const last = page[page.length - 1];
  return {
    rows: page.map((r) => ({ ...toUsageRow(r), cacheHit: toBool(r.cache_hit) })),
    next: raw.length > filter.limit && last !== undefined ? { at: Number(last.created_at), id: last.id } : null,
  };
}
