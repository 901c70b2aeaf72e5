import type { UsageAttempt } from '@aisbf/core';

/** Outcomes that count against a model; a 429 is saturation, not sickness. */
const FAILURES: ReadonlySet<UsageAttempt['outcome']> = new Set(['error', 'timeout', 'interrupted', 'refused']);

export interface HealthPolicy {
  /** How far back live traffic is read (default 15 min). */
  windowMs: number;
  /** A failure's weight halves every `halfLifeMs` (default 2 min): penalties fade, providers heal. */
  halfLifeMs: number;
  /** Below this much (decayed) traffic, traffic says nothing (default 3). */
  minWeight: number;
  /** Decayed failure share at or above which a model (or, for connection faults, its provider) is unhealthy (default 0.5). */
  unhealthyRatio: number;
  /** Probe timeout (default 5 s). */
  probeTimeoutMs: number;
  /** Most background probes per run (default 200); the longest unchecked go first, the rest wait a run. */
  maxProbesPerRun: number;
  /** Probes of one run start at random offsets within min(this, 100 ms × probes) (default 20 s). */
  probeSpreadMs: number;
  /** Probes in flight at once (default 8). */
  probeConcurrency: number;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = Object.freeze({
  windowMs: 15 * 60_000,
  halfLifeMs: 2 * 60_000,
  minWeight: 3,
  unhealthyRatio: 0.5,
  probeTimeoutMs: 5_000,
  maxProbesPerRun: 200,
  probeSpreadMs: 20_000,
  probeConcurrency: 8,
});

export interface TrafficSample {
  at: number;
  /** Provider's owner (null = global) and slug. */
  ownerId: string | null;
  providerId: string;
  model: string;
  failed: boolean;
  /** A connection-level fault (refused, DNS, TLS, reset before headers): it speaks for the whole provider. */
  connection: boolean;
  latencyMs: number;
}

export interface ModelScore {
  weight: number;
  /** Decayed failure share, 0..1. */
  errorRatio: number;
  /** Newest failed attempt (epoch ms), or null. */
  lastFailureAt: number | null;
}

export interface TrafficScore {
  /** Sum of decayed weights of all attempts. */
  weight: number;
  /** Decayed failure share of every failure, 0..1 (for the dashboard; models are judged by their own). */
  errorRatio: number;
  /** Decayed share of connection-level faults, 0..1: the only traffic that judges the provider. */
  connectionRatio: number;
  /** Newest connection-level fault (epoch ms), or null. */
  lastConnectionFailureAt: number | null;
  /** Decayed mean latency of successful attempts, or null. */
  latencyMs: number | null;
  models: Record<string, ModelScore>;
}

export const isFailure = (outcome: UsageAttempt['outcome']): boolean => FAILURES.has(outcome);

/** `refused` is what the data plane records when no HTTP answer came at all (docs/reliability.md). */
export const isConnectionFault = (outcome: UsageAttempt['outcome']): boolean => outcome === 'refused';

export const providerKey = (ownerId: string | null, providerId: string): string => `${ownerId ?? ''}/${providerId}`;

/**
 * Decayed sums over attempts of one (provider, model): what `scoreTraffic` needs from them. Sums and
 * maxima only, so attempts can be folded in as they are read and groups merged later
 * (read-traffic.ts holds no record of the window, docs/jobs.md "health-check").
 */
export interface AttemptSums {
  /** Decayed weight of all attempts, of failed ones, of connection-level faults. */
  w: number;
  f: number;
  c: number;
  /** Decayed weight of successful attempts and their weighted latency sum. */
  lw: number;
  l: number;
  /** Newest failure and newest connection-level fault (epoch ms), or null. */
  lastF: number | null;
  lastC: number | null;
}

export const emptySums = (): AttemptSums => ({ w: 0, f: 0, c: 0, lw: 0, l: 0, lastF: null, lastC: null });

const later = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));

/** Adds one attempt of weight `w` (its decay, 0.5^(age / halfLife)). */
export function addAttempt(
  into: AttemptSums,
  w: number,
  s: Pick<TrafficSample, 'at' | 'failed' | 'connection' | 'latencyMs'>,
): void {
  into.w += w;
  if (s.failed) {
    into.f += w;
    into.lastF = later(into.lastF, s.at);
  } else {
    into.lw += w;
    into.l += w * s.latencyMs;
  }
  if (s.connection) {
    into.c += w;
    into.lastC = later(into.lastC, s.at);
  }
}

function mergeSums(into: AttemptSums, from: AttemptSums): void {
  into.w += from.w;
  into.f += from.f;
  into.c += from.c;
  into.lw += from.lw;
  into.l += from.l;
  into.lastF = later(into.lastF, from.lastF);
  into.lastC = later(into.lastC, from.lastC);
}

/** Summed attempts of one model of one provider (owner null = global). */
export interface ModelSums {
  ownerId: string | null;
  providerId: string;
  model: string;
  sums: AttemptSums;
}

/** Error ratios per provider and per model from summed attempts (several groups may name the same model). Pure. */
export function scoreSums(groups: Iterable<ModelSums>): Map<string, TrafficScore> {
  const acc = new Map<string, { all: AttemptSums; models: Map<string, AttemptSums> }>();
  for (const g of groups) {
    const key = providerKey(g.ownerId, g.providerId);
    let entry = acc.get(key);
    if (entry === undefined) acc.set(key, (entry = { all: emptySums(), models: new Map() }));
    mergeSums(entry.all, g.sums);
    let model = entry.models.get(g.model);
    if (model === undefined) entry.models.set(g.model, (model = emptySums()));
    mergeSums(model, g.sums);
  }
  const out = new Map<string, TrafficScore>();
  for (const [key, { all, models }] of acc) {
    out.set(key, {
      weight: all.w,
      errorRatio: all.w > 0 ? all.f / all.w : 0,
      connectionRatio: all.w > 0 ? all.c / all.w : 0,
      lastConnectionFailureAt: all.lastC,
      latencyMs: all.lw > 0 ? all.l / all.lw : null,
      models: Object.fromEntries(
        [...models].map(([model, m]) => [
          model,
          { weight: m.w, errorRatio: m.w > 0 ? m.f / m.w : 0, lastFailureAt: m.lastF },
        ]),
      ),
    });
  }
  return out;
}

/**
 * Error ratios per provider and per model from live traffic, each attempt weighted by
 * 0.5^(age / halfLife). Pure: time is a parameter.
 */
export function scoreTraffic(
  samples: ReadonlyArray<TrafficSample>,
  now: number,
  policy: Pick<HealthPolicy, 'halfLifeMs'>,
): Map<string, TrafficScore> {
  return scoreSums(
    samples.map((s) => {
      const sums = emptySums();
      addAttempt(sums, decayWeight(s.at, now, policy.halfLifeMs), s);
      return { ownerId: s.ownerId, providerId: s.providerId, model: s.model, sums };
    }),
  );
}

/** An attempt's weight at `now`: 0.5^(age / halfLife), age never negative. */
export const decayWeight = (at: number, now: number, halfLifeMs: number): number =>
  0.5 ** (Math.max(0, now - at) / halfLifeMs);
