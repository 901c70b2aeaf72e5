import type { HealthChange } from '@aisbf/bus';
import {
  findProvidersByKeys,
  listModelHealth,
  listProviderHealth,
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
import { findActiveProviders } from './active-providers';
import { attributedSums, readRecentTraffic } from './read-traffic';
import { spreadRuns } from './spread-probes';
import { DEFAULT_HEALTH_POLICY, providerKey, scoreSums, type HealthPolicy, type TrafficScore } from './traffic-health';

export interface HealthCheckDeps {
  db: Db;
  secretBox: SecretBox;
  /** Announces each status change (bus topic `health.changed`). */
  publishHealth?: (change: HealthChange) => Promise<void>;
  fetch?: typeof fetch;
  /** For user-owned providers (JobProcessorDeps.userFetch); default `fetch`. */
  userFetch?: typeof fetch;
  now?: () => number;
  /** The probes' jitter (default Math.random). */
  random?: () => number;
  policy?: Partial<HealthPolicy>;
}

/** `idle`: no recent use, so no probe: its old verdicts are lifted to unknown. */
export type HealthSource = 'traffic' | 'probe' | 'paid-probe' | 'disabled' | 'idle';

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
  /** Providers that needed a probe but were left for a later run (over `maxProbesPerRun`). */
  deferred: number;
  /**
   * The periodic run's providers in use (enabled, used or standby, deferred ones included, idle
   * ones not): what periodic discovery follows (docs/jobs.md "Discovery follows use"). Empty for
   * a run about one provider.
   */
  inUse: StoredProvider[];
}

/** Probes of one run start at most this far apart on average (docs/jobs.md "Only what is used"). */
const PROBE_GAP_MS = 100;

/**
 * The `health-check` job (docs/architecture.md "Jobs and health", docs/jobs.md). Health is judged per (provider, model):
 * each model by its own recent traffic (decayed failure share), the provider as a whole only by
 * connection-level faults (traffic that could not connect, or a probe that could not). No paid
 * completion by default: a provider without enough traffic gets the free `GET /models` probe;
 * `health_probe: paid` gets a one-token completion to its first model, `none` only traffic. Every
 * status change is stored and published; the data plane treats an unhealthy mark as a cooldown of
 * at most the entry's `error_cooldown` from its evidence, then probes it with one live request.
 * The periodic run (empty payload) looks only at providers in use, probes at most
 * `maxProbesPerRun` of them, jittered (docs/jobs.md "Only what is used").
 */
export async function checkHealth(deps: HealthCheckDeps, payload: unknown): Promise<HealthCheckResult> {
  const input = parsePayload(healthCheckPayloadSchema, payload ?? {}, 'health-check');
  const policy: HealthPolicy = { ...DEFAULT_HEALTH_POLICY, ...deps.policy };
  const now = (deps.now ?? Date.now)();
  const traffic = await readRecentTraffic(deps.db, {
    since: now - policy.windowMs,
    now,
    halfLifeMs: policy.halfLifeMs,
  });
  let providers: StoredProvider[];
  let idle: ReadonlySet<string> = new Set();
  if (input.providerId === undefined) {
    // Background work follows use, not sign-ups: only providers recent traffic touched (docs/jobs.md).
    ({ providers, idle } = await findActiveProviders(deps.db, traffic));
  } else {
    // One provider, by its unique (owner, id) key; no owner named is the global one (docs/jobs.md).
    providers = await findProvidersByKeys(deps.db, [{ ownerId: input.ownerId ?? null, id: input.providerId }]);
  }
  const known = new Set(providers.map((p) => providerKey(p.ownerId, p.id)));
  const scores = scoreSums(attributedSums(traffic, known));
  const rowIds = providers.map((p) => p.rowId);
  const [previous, previousModels] = await Promise.all([
    listProviderHealth(deps.db, rowIds),
    listModelHealth(deps.db, rowIds),
  ]);
  const scoreOf = (p: StoredProvider): TrafficScore | null => scores.get(providerKey(p.ownerId, p.id)) ?? null;
  const needsProbe = (p: StoredProvider): boolean =>
    p.enabled &&
    !idle.has(p.rowId) &&
    p.settings['health_probe'] !== 'none' &&
    providerByTraffic(scoreOf(p), policy) === null;
  // Probes are bounded per run, the longest unchecked first; the others wait for a later run.
  const probing = providers
    .filter(needsProbe)
    .sort((a, b) => (previous.get(a.rowId)?.checkedAt ?? 0) - (previous.get(b.rowId)?.checkedAt ?? 0));
  const probeNow = probing.slice(0, policy.maxProbesPerRun);
  const deferred = new Set(probing.slice(policy.maxProbesPerRun).map((p) => p.rowId));
  const judged = providers.filter((p) => !deferred.has(p.rowId));
  const judgeOne = (provider: StoredProvider): Promise<ProviderHealthResult> =>
    judge(deps, provider, scoreOf(provider), policy, now, idle.has(provider.rowId), {
      provider: (previous.get(provider.rowId) ?? UNKNOWN_HEALTH).status,
      models: previousModels.get(provider.rowId) ?? new Map(),
    });
  const byRow = new Map<string, ProviderHealthResult>();
  const probed = new Set(probeNow.map((p) => p.rowId));
  for (const provider of judged.filter((p) => !probed.has(p.rowId)))
    byRow.set(provider.rowId, await judgeOne(provider));
  const probeResults = await spreadRuns(probeNow, judgeOne, {
    spreadMs: Math.min(policy.probeSpreadMs, PROBE_GAP_MS * probeNow.length),
    concurrency: policy.probeConcurrency,
    ...(deps.random === undefined ? {} : { random: deps.random }),
  });
  for (const [i, result] of probeResults.entries()) byRow.set(probeNow[i]!.rowId, result);
  const checked = judged.map((p) => byRow.get(p.rowId)!);

  let changed = 0;
  for (const [i, result] of checked.entries()) {
    const provider = judged[i];
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
  const inUse = input.providerId === undefined ? providers.filter((p) => p.enabled && !idle.has(p.rowId)) : [];
  return { checked, changed, deferred: deferred.size, inUse };
}

async function judge(
  deps: HealthCheckDeps,
  provider: StoredProvider,
  traffic: TrafficScore | null,
  policy: HealthPolicy,
  now: number,
  isIdle: boolean,
  before: { provider: Status; models: ReadonlyMap<string, { status: Status }> },
): Promise<ProviderHealthResult> {
  const base = { ownerId: provider.ownerId, providerId: provider.id, previous: before.provider, traffic };
  if (!provider.enabled)
    return { ...base, status: 'unknown', source: 'disabled', since: null, error: null, latencyMs: null, models: [] };
  if (isIdle) return lifted(base, before.models);
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
  level ??= NO_TRAFFIC;
  return { ...base, ...level, source, latencyMs, models: modelResults(models, before.models) };
}

const NO_TRAFFIC: HealthVerdict = Object.freeze({ status: 'unknown', since: null, error: 'no recent traffic' });

/** The models' verdicts; a model judged before and without evidence now goes back to unknown (its mark is lifted). */
function modelResults(
  models: Map<string, HealthVerdict>,
  before: ReadonlyMap<string, { status: Status }>,
): ModelHealthResult[] {
  for (const [model, held] of before)
    if (!models.has(model) && held.status !== 'unknown') models.set(model, NO_TRAFFIC);
  return [...models].map(([model, v]) => ({ model, ...v, previous: before.get(model)?.status ?? 'unknown' }));
}

/** An idle provider: no evidence at either level, so every verdict it held goes back to unknown, unprobed. */
function lifted(
  base: Pick<ProviderHealthResult, 'ownerId' | 'providerId' | 'previous' | 'traffic'>,
  before: ReadonlyMap<string, { status: Status }>,
): ProviderHealthResult {
  return { ...base, ...NO_TRAFFIC, source: 'idle', latencyMs: null, models: modelResults(new Map(), before) };
}
