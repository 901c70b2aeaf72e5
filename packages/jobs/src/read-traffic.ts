import { usageAttemptSchema } from '@aisbf/core';
import type { Db, StoredProvider } from '@aisbf/db';
import { z } from 'zod';
import { isConnectionFault, isFailure, providerKey, type TrafficSample } from './traffic-health';

const attemptsSchema = z.array(usageAttemptSchema);

/** Attempts of recent usage records, attributed to the provider (and model) that made them. */
export async function readTraffic(
  db: Db,
  providers: ReadonlyArray<StoredProvider>,
  since: number,
): Promise<TrafficSample[]> {
  if (providers.length === 0) return [];
  const rows = await db
    .selectFrom('usage_records')
    .select(['created_at', 'user_id', 'provider', 'provider_owner_id', 'attempts'])
    .where('created_at', '>=', since)
    .orderBy('created_at', 'desc')
    .limit(50_000)
    .execute();
  const known = new Set(providers.map((p) => providerKey(p.ownerId, p.id)));
  const samples: TrafficSample[] = [];
  for (const row of rows) {
    let parsedJson: unknown;
    try {
      parsedJson = JSON.parse(row.attempts);
    } catch {
      continue;
    }
    const attempts = attemptsSchema.safeParse(parsedJson);
    if (!attempts.success) continue;
    for (const attempt of attempts.data) {
      // Attempts name a provider slug: the served one carries its owner; otherwise the user's own
      // provider of that slug wins over a global one, as route resolution does (docs/architecture.md "Data plane API").
      const ownerId =
        attempt.provider === row.provider
          ? row.provider_owner_id
          : known.has(providerKey(row.user_id, attempt.provider))
            ? row.user_id
            : null;
      if (!known.has(providerKey(ownerId, attempt.provider))) continue;
      samples.push({
        at: Number(row.created_at),
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
