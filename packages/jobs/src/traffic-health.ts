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

interface Acc {
  w: number;
  f: number;
  c: number;
  lastC: number | null;
  lw: number;
  l: number;
  models: Map<string, { w: number; f: number; last: number | null }>;
}

const later = (a: number | null, b: number): number => (a === null ? b : Math.max(a, b));

/**
 * Error ratios per provider and per model from live traffic, each attempt weighted by
 * 0.5^(age / halfLife). Pure: time is a parameter.
 */
export function scoreTraffic(
  samples: ReadonlyArray<TrafficSample>,
  now: number,
  policy: Pick<HealthPolicy, 'halfLifeMs'>,
): Map<string, TrafficScore> {
  const acc = new Map<string, Acc>();
  for (const s of samples) {
    const age = Math.max(0, now - s.at);
    const w = 0.5 ** (age / policy.halfLifeMs);
    const key = providerKey(s.ownerId, s.providerId);
    const entry = acc.get(key) ?? { w: 0, f: 0, c: 0, lastC: null, lw: 0, l: 0, models: new Map() };
    acc.set(key, entry);
    entry.w += w;
    if (s.failed) entry.f += w;
    else {
      entry.lw += w;
      entry.l += w * s.latencyMs;
    }
    if (s.connection) {
      entry.c += w;
      entry.lastC = later(entry.lastC, s.at);
    }
    const m = entry.models.get(s.model) ?? { w: 0, f: 0, last: null };
    entry.models.set(s.model, m);
    m.w += w;
    if (s.failed) {
      m.f += w;
      m.last = later(m.last, s.at);
    }
  }
  const out = new Map<string, TrafficScore>();
  for (const [key, e] of acc) {
    out.set(key, {
      weight: e.w,
      errorRatio: e.w > 0 ? e.f / e.w : 0,
      connectionRatio: e.w > 0 ? e.c / e.w : 0,
      lastConnectionFailureAt: e.lastC,
      latencyMs: e.lw > 0 ? e.l / e.lw : null,
      models: Object.fromEntries(
        [...e.models].map(([model, m]) => [
          model,
          { weight: m.w, errorRatio: m.w > 0 ? m.f / m.w : 0, lastFailureAt: m.last },
        ]),
      ),
    });
  }
  return out;
}
