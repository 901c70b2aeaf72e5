import { usageAttemptSchema } from '@aisbf/core';
import type { Db } from '@aisbf/db';
import { sql } from 'kysely';
import { z } from 'zod';
import {
  addAttempt,
  decayWeight,
  emptySums,
  isConnectionFault,
  isFailure,
  providerKey,
  type AttemptSums,
  type ModelSums,
} from './traffic-health';

const attemptsSchema = z.array(usageAttemptSchema);

/** Most records read per run: the newest ones speak for health; older ones only add weight. */
export const MAX_RECENT_RECORDS = 50_000;
/** Records per query: what one read holds at a time (docs/jobs.md "health-check"). */
export const RECENT_PAGE_ROWS = 500;
/**
 * A record whose attempts take more text than this is skipped unread. The attempts list grows with
 * the entries one request tried (a tenant's rotation may list hundreds), so without it one page's
 * size would be the tenant's to choose.
 */
export const MAX_RECORD_ATTEMPTS_CHARS = 64 * 1024;
/** Attempts text read per run at most (records past it are left, as past MAX_RECENT_RECORDS). */
export const MAX_RUN_ATTEMPTS_CHARS = 32 * 1024 * 1024;

/** Attempts of one (provider, model) summed over the window, before their owner is known. */
interface PendingSums {
  /** Attempts of the provider that served: its owner is in the record. */
  served: boolean;
  /** `served`: that owner (null = global); else the caller, whose own provider of that slug wins over a global one if it exists. */
  ownerId: string | null;
  providerId: string;
  model: string;
  sums: AttemptSums;
}

/**
 * What one periodic health run learns from the window's usage records, folded in as each page is
 * read: nothing per record is kept, so what the run holds follows the distinct providers, routes
 * and models in use, not the records or their size (docs/jobs.md "health-check").
 */
export interface RecentTraffic {
  /** Records folded in (unreadable or oversized ones are counted in `skipped`). */
  records: number;
  skipped: number;
  /** Providers that served, by `providerKey`. */
  served: Map<string, { ownerId: string | null; id: string }>;
  /** Per caller: the route names called and the provider slugs its requests tried. */
  callers: Map<string, { routes: Set<string>; tried: Set<string> }>;
  /** Decayed attempt sums by served-or-caller, provider and model. */
  pending: Map<string, PendingSums>;
}

interface RecentRow {
  id: string;
  created_at: number | string | bigint;
  user_id: string;
  route: string;
  provider: string | null;
  provider_owner_id: string | null;
  /** Null when over MAX_RECORD_ATTEMPTS_CHARS (the database leaves it unread). */
  attempts: string | null;
}

/** Lets requests run between two pages (better-sqlite3 reads synchronously on this thread). */
const yieldToRequests = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The usage records since `since`, newest first, in pages of RECENT_PAGE_ROWS by `usage_created_idx`
 * (keyset on `(created_at, id)`), each attempt weighted `0.5^(age / halfLifeMs)` at `now` and summed
 * (records with unreadable attempts are skipped). Stops at MAX_RECENT_RECORDS records or
 * MAX_RUN_ATTEMPTS_CHARS of attempts.
 */
export async function readRecentTraffic(
  db: Db,
  window: { since: number; now: number; halfLifeMs: number },
): Promise<RecentTraffic> {
  const traffic: RecentTraffic = { records: 0, skipped: 0, served: new Map(), callers: new Map(), pending: new Map() };
  let chars = 0;
  let cursor: { at: RecentRow['created_at']; id: string } | null = null;
  for (let read = 0; read < MAX_RECENT_RECORDS && chars < MAX_RUN_ATTEMPTS_CHARS;) {
    if (cursor !== null) await yieldToRequests();
    const after = cursor;
    const rows: RecentRow[] = await db
      .selectFrom('usage_records')
      .select(['id', 'created_at', 'user_id', 'route', 'provider', 'provider_owner_id'])
      .select(
        sql<string | null>`case when length(attempts) <= ${MAX_RECORD_ATTEMPTS_CHARS} then attempts end`.as('attempts'),
      )
      .where('created_at', '>=', window.since)
      .$if(after !== null, (q) =>
        // (created_at, id) < the cursor, written so the created_at range still uses the index.
        q
          .where('created_at', '<=', after!.at as number)
          .where((eb) => eb.or([eb('created_at', '<', after!.at as number), eb('id', '<', after!.id)])),
      )
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(Math.min(RECENT_PAGE_ROWS, MAX_RECENT_RECORDS - read))
      .execute();
    for (const row of rows) {
      if (row.attempts !== null) chars += row.attempts.length;
      foldRecord(traffic, row, window);
    }
    read += rows.length;
    if (rows.length < RECENT_PAGE_ROWS) break;
    const last = rows[rows.length - 1]!;
    cursor = { at: last.created_at, id: last.id };
  }
  return traffic;
}

function foldRecord(traffic: RecentTraffic, row: RecentRow, window: { now: number; halfLifeMs: number }): void {
  const attempts = row.attempts === null ? null : parseAttempts(row.attempts);
  if (attempts === null) {
    traffic.skipped += 1;
    return;
  }
  traffic.records += 1;
  const at = Number(row.created_at);
  if (row.provider !== null) {
    const key = providerKey(row.provider_owner_id, row.provider);
    if (!traffic.served.has(key)) traffic.served.set(key, { ownerId: row.provider_owner_id, id: row.provider });
  }
  let caller = traffic.callers.get(row.user_id);
  if (caller === undefined) traffic.callers.set(row.user_id, (caller = { routes: new Set(), tried: new Set() }));
  caller.routes.add(row.route);
  const w = decayWeight(at, window.now, window.halfLifeMs);
  for (const attempt of attempts) {
    caller.tried.add(attempt.provider);
    // Attempts name a provider slug: the served one carries its owner; for the others the caller's
    // own provider of that slug wins over a global one, decided once the providers are known
    // (attributedSums), as route resolution does (docs/architecture.md "Data plane API").
    const served = attempt.provider === row.provider;
    const ownerId = served ? row.provider_owner_id : row.user_id;
    const key = `${served ? 's' : 'c'}\u0000${ownerId ?? ''}\u0000${attempt.provider}\u0000${attempt.model}`;
    let pending = traffic.pending.get(key);
    if (pending === undefined)
      traffic.pending.set(
        key,
        (pending = { served, ownerId, providerId: attempt.provider, model: attempt.model, sums: emptySums() }),
      );
    addAttempt(pending.sums, w, {
      at,
      failed: isFailure(attempt.outcome),
      connection: isConnectionFault(attempt.outcome),
      latencyMs: attempt.latencyMs,
    });
  }
}

function parseAttempts(text: string): z.infer<typeof attemptsSchema> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  const attempts = attemptsSchema.safeParse(parsed);
  return attempts.success ? attempts.data : null;
}

/**
 * The window's attempt sums, each attributed to the provider that made it: `known` holds the
 * `providerKey`s of the providers being judged; attempts of any other provider are left out. Pure.
 */
export function attributedSums(traffic: RecentTraffic, known: ReadonlySet<string>): ModelSums[] {
  const out: ModelSums[] = [];
  for (const p of traffic.pending.values()) {
    const ownerId = p.served || known.has(providerKey(p.ownerId, p.providerId)) ? p.ownerId : null;
    if (!known.has(providerKey(ownerId, p.providerId))) continue;
    out.push({ ownerId, providerId: p.providerId, model: p.model, sums: p.sums });
  }
  return out;
}
