import { usageAttemptSchema, type UsageAttempt } from '@aisbf/core';
import type { Db } from '@aisbf/db';
import { z } from 'zod';
import { isConnectionFault, isFailure, providerKey, type TrafficSample } from './traffic-health';

const attemptsSchema = z.array(usageAttemptSchema);

/** One recent usage record, as much of it as health needs. */
export interface RecentUsage {
  at: number;
  userId: string;
  route: string;
  /** The provider that served (slug) and its owner (null = global), if any did. */
  provider: string | null;
  providerOwnerId: string | null;
  attempts: UsageAttempt[];
}

/** Most records read per run: the newest ones speak for health; older ones only add weight. */
const MAX_RECENT_RECORDS = 50_000;

/** The usage records since `since`, newest first, read by `usage_created_idx` (records with unreadable attempts are skipped). */
export async function readRecentUsage(db: Db, since: number): Promise<RecentUsage[]> {
  const rows = await db
    .selectFrom('usage_records')
    .select(['created_at', 'user_id', 'route', 'provider', 'provider_owner_id', 'attempts'])
    .where('created_at', '>=', since)
    .orderBy('created_at', 'desc')
    .limit(MAX_RECENT_RECORDS)
    .execute();
  const out: RecentUsage[] = [];
  for (const row of rows) {
    let parsedJson: unknown;
    try {
      parsedJson = JSON.parse(row.attempts);
    } catch {
      continue;
    }
    const attempts = attemptsSchema.safeParse(parsedJson);
    if (!attempts.success) continue;
    out.push({
      at: Number(row.created_at),
      userId: row.user_id,
      route: row.route,
      provider: row.provider,
      providerOwnerId: row.provider_owner_id,
      attempts: attempts.data,
    });
  }
  return out;
}

/** Who owns the provider an attempt names: `known` holds the `providerKey`s of the providers being judged. */
export function attemptOwner(usage: RecentUsage, attempt: UsageAttempt, known: ReadonlySet<string>): string | null {
  // Attempts name a provider slug: the served one carries its owner; otherwise the user's own
  // provider of that slug wins over a global one, as route resolution does (docs/architecture.md "Data plane API").
  if (attempt.provider === usage.provider) return usage.providerOwnerId;
  return known.has(providerKey(usage.userId, attempt.provider)) ? usage.userId : null;
}

/** Attempts of recent usage records, attributed to the provider (and model) that made them. Pure. */
export function trafficSamples(usage: ReadonlyArray<RecentUsage>, known: ReadonlySet<string>): TrafficSample[] {
  const samples: TrafficSample[] = [];
  for (const record of usage) {
    for (const attempt of record.attempts) {
      const ownerId = attemptOwner(record, attempt, known);
      if (!known.has(providerKey(ownerId, attempt.provider))) continue;
      samples.push({
        at: record.at,
        ownerId,
        providerId: attempt.provider,
        model: attempt.model,
        failed: isFailure(attempt.outcome),
        connection: isConnectionFault(attempt.outcome),
        latencyMs: attempt.latencyMs,
      });
    }
  }
  return samples;
}
