import { Counter, Gauge, Registry } from 'prom-client';
import type { UsageEvent } from '@aisbf/core';
import type { ProviderHealth } from './proxy/select-leaf';
import { createSeriesCounter, createSeriesHistogram } from './observability/series-metrics';
import { registerPartMetrics, type PartStats } from './part-metrics';

/**
 * Prometheus metrics of one data-plane instance, on its own registry (several instances may live
 * in one process, in tests and in all-in-one mode). Request metrics are derived from the usage
 * event every request already produces, so the hot path pays one call per request.
 */
export interface DataPlaneMetrics {
  readonly registry: Registry;
  record(event: UsageEvent): void;
  malformedChunks(count: number): void;
  cooldownOpened(): void;
  providerFlagged(provider: string, status: number): void;
  text(): Promise<string>;
}

export interface DataPlaneMetricsOptions {
  health?: ProviderHealth | undefined;
  /** The config version served, read at scrape time (-1 before the first). */
  configVersion?: () => number | null;
  partStats?: (() => PartStats) | undefined;
  clock?: () => number;
}

export function createDataPlaneMetrics(options: DataPlaneMetricsOptions = {}): DataPlaneMetrics {
  const registry = new Registry();
  const configVersion = options.configVersion ?? (() => null);
  if (options.partStats !== undefined) registerPartMetrics(registry, options.partStats, options.clock ?? Date.now);
  const health = options.health;
  if (health?.current !== undefined) {
    const read = health.current.bind(health);
    // Both levels, read from the health board at scrape time (nothing on the request path).
    new Gauge({
      name: 'aisbf_health',
      help: 'Providers (model="") and provider models by health status, as the health job last judged them',
      labelNames: ['provider', 'model', 'status'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const h of read().values()) this.inc({ provider: h.providerId, model: h.model ?? '', status: h.status });
      },
    });
  }
  // The series every request records (series-metrics.ts says why these are not prom-client's classes).
  const requests = createSeriesCounter({
    name: 'aisbf_requests_total',
    help: 'Proxied requests by endpoint, status and outcome',
    labelNames: ['endpoint', 'status', 'outcome'],
    registry,
  });
  const attempts = createSeriesCounter({
    name: 'aisbf_upstream_attempts_total',
    help: 'Upstream attempts by provider and outcome',
    labelNames: ['provider', 'outcome'],
    registry,
  });
  const failovers = new Counter({
    name: 'aisbf_failovers_total',
    help: 'Requests served by another entry than the first one tried',
    registers: [registry],
  });
  const latency = createSeriesHistogram({
    name: 'aisbf_request_duration_seconds',
    help: 'Request latency including upstream time',
    labelNames: ['endpoint'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registry,
  });
  const malformed = new Counter({
    name: 'aisbf_stream_malformed_chunks_total',
    help: 'Malformed upstream SSE chunks skipped',
    registers: [registry],
  });
  const cooldowns = new Counter({
    name: 'aisbf_cooldowns_opened_total',
    help: 'Times a (provider, model) cooldown opened on this node',
    registers: [registry],
  });
  const flagged = new Counter({
    name: 'aisbf_upstream_flagged_total',
    help: 'Upstream answers saying its own key or model is wrong (401/403/404)',
    labelNames: ['provider', 'status'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'aisbf_config_version',
    help: 'Version of the config snapshot being served',
    registers: [registry],
    collect() {
      this.set(configVersion() ?? -1);
    },
  });
  return {
    registry,
    record(event) {
      requests.inc([event.endpoint, String(event.status), event.outcome]);
      latency.observe([event.endpoint], event.latencyMs / 1000);
      for (const a of event.attempts) attempts.inc([a.provider, a.outcome]);
      const first = event.attempts[0];
      if (
        first !== undefined &&
        event.provider !== null &&
        (first.provider !== event.provider || first.model !== event.model)
      )
        failovers.inc();
    },
    malformedChunks: (count) => malformed.inc(count),
    cooldownOpened: () => cooldowns.inc(),
    providerFlagged: (provider, status) => flagged.inc({ provider, status: String(status) }),
    text: () => registry.metrics(),
  };
}
