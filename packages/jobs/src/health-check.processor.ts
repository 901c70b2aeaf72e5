import type { HealthChange } from '@aisbf/bus';
import { usageAttemptSchema } from '@aisbf/core';
import {
  listProviderHealth,
  listProviders,
  setProviderHealth,
  UNKNOWN_HEALTH,
  type Db,
  type StoredProvider,
} from '@aisbf/db';
import type { SecretBox } from '@aisbf/secrets';
import { z } from 'zod';
import { connectRefusal, fetchFor } from './fetch-for';
import { healthCheckPayloadSchema, parsePayload } from './queues';
import {
  DEFAULT_HEALTH_POLICY,
  isFailure,
  providerKey,
  scoreTraffic,
  type HealthPolicy,
  type TrafficSample,
  type TrafficScore,
} from './traffic-health';

export interface HealthCheckDeps {
  db: Db;
  secretBox: SecretBox;
  /** Announces each status change (bus topic `health.changed`). */
  publishHealth?: (change: HealthChange) => Promise<void>;
  fetch?: typeof fetch;
  /** For user-owned providers (JobProcessorDeps.userFetch); default `fetch`. */
  userFetch?: typeof fetch;
  now?: () => number;
  policy?: Partial<HealthPolicy>;
}

export type HealthSource = 'traffic' | 'probe' | 'paid-probe' | 'disabled';

export interface ProviderHealthResult {
  ownerId: string | null;
  providerId: string;
  status: 'healthy' | 'unhealthy' | 'unknown';
  previous: 'healthy' | 'unhealthy' | 'unknown';
  source: HealthSource;
  error: string | null;
  latencyMs: number | null;
  traffic: TrafficScore | null;
}

export interface HealthCheckResult {
  checked: ProviderHealthResult[];
  changed: number;
}

const attemptsSchema = z.array(usageAttemptSchema);

/**
 * The `health-check` job (DESIGN.md §5, issue 6). No paid completion by default: a provider with
 * enough recent traffic is judged by its decayed error ratio; one without (including one that
 * rotations stopped sending to because it was unhealthy) gets the free `GET /models` probe, which
 * is how a dead provider heals once it answers again. `health_probe: paid` providers get a
 * one-token completion instead; `none` relies on traffic alone. Status goes to the db's
 * provider_health and every change is published.
 */
export async function checkHealth(deps: HealthCheckDeps, payload: unknown): Promise<HealthCheckResult> {
  const input = parsePayload(healthCheckPayloadSchema, payload ?? {}, 'health-check');
  const policy: HealthPolicy = { ...DEFAULT_HEALTH_POLICY, ...deps.policy };
  const now = (deps.now ?? Date.now)();
  let providers = await listProviders(deps.db);
  if (input.providerId !== undefined) {
    providers = providers.filter(
      (p) => p.id === input.providerId && (input.ownerId === undefined || p.ownerId === input.ownerId),
    );
  }
  const scores = scoreTraffic(await readTraffic(deps.db, providers, now - policy.windowMs), now, policy);
  const previous = await listProviderHealth(
    deps.db,
    providers.map((p) => p.rowId),
  );

  const checked = await Promise.all(
    providers.map(async (provider): Promise<ProviderHealthResult> => {
      const before = (previous.get(provider.rowId) ?? UNKNOWN_HEALTH).status;
      const traffic = scores.get(providerKey(provider.ownerId, provider.id)) ?? null;
      const verdict = await judge(deps, provider, traffic, policy);
      return { ownerId: provider.ownerId, providerId: provider.id, previous: before, traffic, ...verdict };
    }),
  );

  let changed = 0;
  for (const [i, result] of checked.entries()) {
    const provider = providers[i];
    if (!provider || result.source === 'disabled') continue;
    await setProviderHealth(deps.db, provider.rowId, {
      status: result.status,
      checkedAt: now,
      error: result.error,
      latencyMs: result.latencyMs === null ? null : Math.round(result.latencyMs),
    });
    if (result.status !== result.previous) {
      changed += 1;
      await deps.publishHealth?.({
        providerOwnerId: result.ownerId,
        providerId: result.providerId,
        model: null,
        status: result.status,
        previous: result.previous,
        reason: result.error ?? `${result.source}`,
        at: now,
      });
    }
  }
  return { checked, changed };
}

async function judge(
  deps: HealthCheckDeps,
  provider: StoredProvider,
  traffic: TrafficScore | null,
  policy: HealthPolicy,
): Promise<Pick<ProviderHealthResult, 'status' | 'source' | 'error' | 'latencyMs'>> {
  if (!provider.enabled) return { status: 'unknown', source: 'disabled', error: null, latencyMs: null };
  if (traffic && traffic.weight >= policy.minWeight) {
    const sick = traffic.errorRatio >= policy.unhealthyRatio;
    return {
      status: sick ? 'unhealthy' : 'healthy',
      source: 'traffic',
      error: sick ? `${Math.round(traffic.errorRatio * 100)}% of recent requests failed` : null,
      latencyMs: traffic.latencyMs,
    };
  }
  const mode = provider.settings['health_probe'];
  if (mode === 'none') return { status: 'unknown', source: 'traffic', error: 'no recent traffic', latencyMs: null };
  const paid = mode === 'paid';
  const probe = await runProbe(deps, provider, paid, policy.probeTimeoutMs);
  return {
    status: probe.ok ? 'healthy' : 'unhealthy',
    source: paid ? 'paid-probe' : 'probe',
    error: probe.error,
    latencyMs: probe.latencyMs,
  };
}

async function runProbe(
  deps: HealthCheckDeps,
  provider: StoredProvider,
  paid: boolean,
  timeoutMs: number,
): Promise<{ ok: boolean; error: string | null; latencyMs: number }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const extra = provider.settings['headers'];
  if (typeof extra === 'object' && extra !== null) {
    for (const [k, v] of Object.entries(extra)) if (typeof v === 'string') headers[k] = v;
  }
  if (provider.apiKeyEnc !== null) headers['authorization'] = `Bearer ${deps.secretBox.decrypt(provider.apiKeyEnc)}`;
  const model = provider.models[0]?.name;
  const url = paid && model !== undefined ? `${provider.endpoint}/chat/completions` : `${provider.endpoint}/models`;
  const init: RequestInit =
    paid && model !== undefined
      ? {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ model, max_tokens: 1, messages: [{ role: 'user', content: 'ping' }] }),
        }
      : { method: 'GET', headers };
  const started = performance.now();
  try {
    const response = await fetchFor(deps, provider.ownerId)(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    const latencyMs = performance.now() - started;
    // Never the response text: it may echo the key.
    return response.ok
      ? { ok: true, error: null, latencyMs }
      : { ok: false, error: `probe answered ${response.status}`, latencyMs };
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    return {
      ok: false,
      error: timedOut ? 'probe timed out' : `probe could not connect${connectRefusal(error)}`,
      latencyMs: performance.now() - started,
    };
  }
}

/** Attempts of recent usage records, attributed to the provider that served them. */
async function readTraffic(db: Db, providers: ReadonlyArray<StoredProvider>, since: number): Promise<TrafficSample[]> {
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
      // provider of that slug wins over a global one, as route resolution does (DESIGN.md §2).
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
        latencyMs: attempt.latencyMs,
      });
    }
  }
  return samples;
}
