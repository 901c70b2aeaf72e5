import type { HealthPolicy, TrafficScore } from './traffic-health';

/** One level's verdict: the whole provider, or one of its models. */
export interface HealthVerdict {
  status: 'healthy' | 'unhealthy' | 'unknown';
  /** Unhealthy only: the newest evidence (epoch ms); the data plane skips for one cooldown from it. */
  since: number | null;
  error: string | null;
}

/** What a background probe saw (health-probe.ts). */
export type ProbeOutcome =
  | { kind: 'ok' }
  /** Refused, DNS, TLS, reset before headers: nothing answered. */
  | { kind: 'connect'; error: string }
  | { kind: 'http'; status: number }
  | { kind: 'timeout' };

const pct = (ratio: number): number => Math.round(ratio * 100);

/**
 * The provider as a whole, from traffic: only connection-level faults count (a model that answers
 * 5xx says nothing about its neighbours). Null: too little traffic to judge.
 */
export function providerByTraffic(score: TrafficScore | null, policy: HealthPolicy): HealthVerdict | null {
  if (score === null || score.weight < policy.minWeight) return null;
  if (score.connectionRatio >= policy.unhealthyRatio)
    return {
      status: 'unhealthy',
      since: score.lastConnectionFailureAt,
      error: `${pct(score.connectionRatio)}% of recent requests could not connect`,
    };
  return { status: 'healthy', since: null, error: null };
}

/** Each model with enough recent traffic, by its own decayed failure share. */
export function modelsByTraffic(score: TrafficScore | null, policy: HealthPolicy): Map<string, HealthVerdict> {
  const out = new Map<string, HealthVerdict>();
  if (score === null) return out;
  for (const [model, m] of Object.entries(score.models)) {
    if (m.weight < policy.minWeight) continue;
    const sick = m.errorRatio >= policy.unhealthyRatio;
    out.set(
      model,
      sick
        ? { status: 'unhealthy', since: m.lastFailureAt, error: `${pct(m.errorRatio)}% of recent requests failed` }
        : { status: 'healthy', since: null, error: null },
    );
  }
  return out;
}

/** The provider as a whole, from a probe: only a connection that could not be made marks it unhealthy. */
export function providerByProbe(probe: ProbeOutcome, now: number): HealthVerdict {
  switch (probe.kind) {
    case 'ok':
      return { status: 'healthy', since: null, error: null };
    case 'connect':
      return { status: 'unhealthy', since: now, error: probe.error };
    case 'http':
      return {
        status: 'unknown',
        since: null,
        error: `probe answered ${probe.status} (its models are judged by their traffic)`,
      };
    case 'timeout':
      return { status: 'unknown', since: null, error: 'probe timed out' };
  }
}

/** The probed model, from a paid probe (a one-token completion): any failure that is not the connection's. */
export function modelByPaidProbe(probe: ProbeOutcome, now: number): HealthVerdict | null {
  switch (probe.kind) {
    case 'ok':
      return { status: 'healthy', since: null, error: null };
    case 'connect':
      return null;
    case 'http':
      return { status: 'unhealthy', since: now, error: `probe answered ${probe.status}` };
    case 'timeout':
      return { status: 'unhealthy', since: now, error: 'probe timed out' };
  }
}
