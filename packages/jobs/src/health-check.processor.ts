import type { HealthChange } from '@aisbf/bus';
import {
  listModelHealth,
  listProviderHealth,
  listProviders,
  setModelHealth,
  setProviderHealth,
  UNKNOWN_HEALTH,
  type Db,
  type StoredProvider,
} from '@aisbf/db';
import type { SecretBox } from '@aisbf/secrets';
import { probeProvider } from './health-probe';
import {
  modelByPaidProbe,
  modelsByTraffic,
  providerByProbe,
  providerByTraffic,
  type HealthVerdict,
} from './judge-health';
import { healthCheckPayloadSchema, parsePayload } from './queues';
import { readTraffic } from './read-traffic';
import {
  DEFAULT_HEALTH_POLICY,
  providerKey,
  scoreTraffic,
  type HealthPolicy,
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

type Status = HealthVerdict['status'];

export interface ModelHealthResult {
  model: string;
  status: Status;
  previous: Status;
  since: number | null;
  error: string | null;
}

export interface ProviderHealthResult {
  ownerId: string | null;
  providerId: string;
  /** The provider as a whole: connection-level faults only. */
  status: Status;
  previous: Status;
  source: HealthSource;
  since: number | null;
  error: string | null;
  latencyMs: number | null;
  traffic: TrafficScore | null;
  /** Models judged this run (or judged before and now without evidence: `unknown`). */
  models: ModelHealthResult[];
}

export interface HealthCheckResult {
  checked: ProviderHealthResult[];
  changed: number;
}

/**
 * The `health-check` job (docs/architecture.md "Jobs and health", docs/jobs.md). Health is judged per (provider, model):
 * each model by its own recent traffic (decayed failure share), the provider as a whole only by
 * connection-level faults (traffic that could not connect, or a probe that could not). No paid
 * completion by default: a provider without enough traffic gets the free `GET /models` probe;
 * `health_probe: paid` gets a one-token completion to its first model, `none` only traffic. Every
 * status change is stored and published; the data plane treats an unhealthy mark as a cooldown of
 * at most the entry's `error_cooldown` from its evidence, then probes it with one live request.
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
  const rowIds = providers.map((p) => p.rowId);
  const [previous, previousModels] = await Promise.all([
    listProviderHealth(deps.db, rowIds),
    listModelHealth(deps.db, rowIds),
  ]);

  const checked = await Promise.all(
    providers.map((provider) =>
      judge(deps, provider, scores.get(providerKey(provider.ownerId, provider.id)) ?? null, policy, now, {
        provider: (previous.get(provider.rowId) ?? UNKNOWN_HEALTH).status,
        models: previousModels.get(provider.rowId) ?? new Map(),
      }),
    ),
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
    for (const m of result.models)
      await setModelHealth(deps.db, provider.rowId, m.model, { status: m.status, checkedAt: now, error: m.error });
    const levels = [{ ...result, model: null }, ...result.models];
    for (const level of levels) {
      if (level.status === level.previous) continue;
      changed += 1;
      await deps.publishHealth?.({
        providerOwnerId: result.ownerId,
        providerId: result.providerId,
        model: level.model,
        status: level.status,
        previous: level.previous,
        reason: level.error ?? result.source,
        at: now,
        ...(level.since === null ? {} : { since: level.since }),
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
  now: number,
  before: { provider: Status; models: ReadonlyMap<string, { status: Status }> },
): Promise<ProviderHealthResult> {
  const base = { ownerId: provider.ownerId, providerId: provider.id, previous: before.provider, traffic };
  if (!provider.enabled)
    return { ...base, status: 'unknown', source: 'disabled', since: null, error: null, latencyMs: null, models: [] };
  const models = modelsByTraffic(traffic, policy);
  let level = providerByTraffic(traffic, policy);
  let source: HealthSource = 'traffic';
  let latencyMs = traffic?.latencyMs ?? null;
  const mode = provider.settings['health_probe'];
  if (level === null && mode !== 'none') {
    const paid = mode === 'paid';
    const probe = await probeProvider(deps, provider, paid, policy.probeTimeoutMs);
    source = paid ? 'paid-probe' : 'probe';
    latencyMs = probe.latencyMs;
    level = providerByProbe(probe.outcome, now);
    const probed = probe.model === null ? null : modelByPaidProbe(probe.outcome, now);
    if (probe.model !== null && probed !== null && !models.has(probe.model)) models.set(probe.model, probed);
  }
  level ??= { status: 'unknown', since: null, error: 'no recent traffic' };
  // A model judged before and without evidence now goes back to unknown (its mark is lifted).
  for (const [model, held] of before.models)
    if (!models.has(model) && held.status !== 'unknown')
      models.set(model, { status: 'unknown', since: null, error: 'no recent traffic' });
  return {
    ...base,
    ...level,
    source,
    latencyMs,
    models: [...models].map(([model, v]) => ({ model, ...v, previous: before.models.get(model)?.status ?? 'unknown' })),
  };
}
