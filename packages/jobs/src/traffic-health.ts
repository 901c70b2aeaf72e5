import type { UsageAttempt } from '@aisbf/core';

/** Outcomes that count against a provider; a 429 is saturation, not sickness. */
const FAILURES: ReadonlySet<UsageAttempt['outcome']> = new Set(['error', 'timeout', 'interrupted', 'refused']);

export interface HealthPolicy {
  /** How far back live traffic is read (default 15 min). */
  windowMs: number;
  /** A failure's weight halves every `halfLifeMs` (default 2 min): penalties fade, providers heal. */
  halfLifeMs: number;
  /** Below this much (decayed) traffic, traffic says nothing and the probe decides (default 3). */
  minWeight: number;
  /** Decayed failure share at or above which a provider is unhealthy (default 0.5). */
  unhealthyRatio: number;
  /** Probe timeout (default 5 s). */
  probeTimeoutMs: number;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = Object.freeze({
  windowMs: 15 * 60_000,
  halfLifeMs: 2 * 60_000,
  minWeight: 3,
  unhealthyRatio: 0.5,
  probeTimeoutMs: 5_000,
});

export interface TrafficSample {
  at: number;
  /** Provider's owner (null = global) and slug. */
  ownerId: string | null;
  providerId: string;
  model: string;
  failed: boolean;
  latencyMs: number;
}

export interface TrafficScore {
  /** Sum of decayed weights of all attempts. */
  weight: number;
  /** Decayed failure share, 0..1. */
  errorRatio: number;
  /** Decayed mean latency of successful attempts, or null. */
  latencyMs: number | null;
  /** Per model, for the dashboard. */
  models: Record<string, { weight: number; errorRatio: number }>;
}

export const isFailure = (outcome: UsageAttempt['outcome']): boolean => FAILURES.has(outcome);

export const providerKey = (ownerId: string | null, providerId: string): string => `${ownerId ?? ''}/${providerId}`;

/**
 * Error ratio and latency per provider from live traffic, each attempt weighted by
 * 0.5^(age / halfLife). Pure: time is a parameter.
 */
export function scoreTraffic(
  samples: ReadonlyArray<TrafficSample>,
  now: number,
  policy: Pick<HealthPolicy, 'halfLifeMs'>,
): Map<string, TrafficScore> {
  const acc = new Map<
    string,
    { w: number; f: number; lw: number; l: number; models: Map<string, { w: number; f: number }> }
  >();
  for (const s of samples) {
    const age = Math.max(0, now - s.at);
    const w = 0.5 ** (age / policy.halfLifeMs);
    const key = providerKey(s.ownerId, s.providerId);
    const entry = acc.get(key) ?? { w: 0, f: 0, lw: 0, l: 0, models: new Map() };
    acc.set(key, entry);
    entry.w += w;
    if (s.failed) entry.f += w;
    else {
      entry.lw += w;
      entry.l += w * s.latencyMs;
    }
    const m = entry.models.get(s.model) ?? { w: 0, f: 0 };
    entry.models.set(s.model, m);
    m.w += w;
    if (s.failed) m.f += w;
  }
  const out = new Map<string, TrafficScore>();
  for (const [key, e] of acc) {
    out.set(key, {
      weight: e.w,
      errorRatio: e.w > 0 ? e.f / e.w : 0,
      latencyMs: e.lw > 0 ? e.l / e.lw : null,
      models: Object.fromEntries(
        [...e.models].map(([model, m]) => [model, { weight: m.w, errorRatio: m.w > 0 ? m.f / m.w : 0 }]),
      ),
    });
  }
  return out;
}
