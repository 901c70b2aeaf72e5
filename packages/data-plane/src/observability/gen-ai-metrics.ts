import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';
import type { UsageEvent } from '@aisbf/core';
import { operationName, routeLabel } from './route-label';
import { createSeriesHistogram } from './series-metrics';

export interface GenAiMetricsDeps {
  registry: Registry;
  clock: () => number;
  /** Cooldowns open on this node right now (read at scrape time). */
  openCooldowns: () => number;
  waitingForSlot?: (() => number) | undefined;
  /** `createdAt` of the snapshot being served, null before the first one. */
  snapshotCreatedAt: () => number | null;
  /** Whether the config bus (Redis) is connected; absent in all-in-one (in-process bus). */
  busConnected?: (() => boolean) | undefined;
}

export interface GenAiMetrics {
  record(event: UsageEvent): void;
  close(): void;
}

// Bucket boundaries advised by the OpenTelemetry GenAI semantic conventions.
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/**
 * OpenTelemetry GenAI metrics in Prometheus form (dots become underscores), plus the gateway
 * gauges read at scrape time. Labels are bounded: route (resolved names only), provider and model
 * come from the config; never the prompt, user ids or token ids.
 */
export function createGenAiMetrics(deps: GenAiMetricsDeps): GenAiMetrics {
  const registry = deps.registry;
  const registers = [registry];
  // Recorded on every request: series-metrics.ts says why these are not prom-client's classes.
  const labelNames = ['gen_ai_operation_name', 'route', 'provider', 'model'] as const;
  const tokens = createSeriesHistogram({
    name: 'gen_ai_client_token_usage',
    help: 'Tokens used per request (gen_ai.client.token.usage)',
    labelNames: [...labelNames, 'gen_ai_token_type'],
    buckets: TOKEN_BUCKETS,
    registry,
  });
  const duration = createSeriesHistogram({
    name: 'gen_ai_server_request_duration',
    help: 'Request duration in seconds (gen_ai.server.request.duration)',
    labelNames: [...labelNames, 'error_type'],
    buckets: DURATION_BUCKETS,
    registry,
  });
  const ttft = createSeriesHistogram({
    name: 'gen_ai_server_time_to_first_token',
    help: 'Seconds to the first byte of a streamed answer (gen_ai.server.time_to_first_token)',
    labelNames,
    buckets: TTFT_BUCKETS,
    registry,
  });
  new Gauge({
    name: 'aisbf_cooldowns_open',
    help: '(provider, model) cooldowns open on this node',
    registers,
    collect() {
      this.set(deps.openCooldowns());
    },
  });
  new Gauge({
    name: 'aisbf_requests_waiting_for_slot',
    help: 'Requests waiting for a free slot because every entry of their route is at its max_concurrency (timeout_queue_s)',
    registers,
    collect() {
      this.set(deps.waitingForSlot?.() ?? 0);
    },
  });
  new Gauge({
    name: 'aisbf_config_snapshot_age_seconds',
    help: 'Age of the config snapshot being served (-1 before the first one)',
    registers,
    collect() {
      const at = deps.snapshotCreatedAt();
      this.set(at === null ? -1 : Math.max(0, (deps.clock() - at) / 1000));
    },
  });
  const busConnected = deps.busConnected;
  if (busConnected !== undefined) {
    new Gauge({
      name: 'aisbf_bus_connected',
      help: '1 when the config bus (Redis) is connected',
      registers,
      collect() {
        this.set(busConnected() ? 1 : 0);
      },
    });
  }
  // Event-loop lag as the p99 delay since the previous scrape: what a slow request would see.
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  new Gauge({
    name: 'aisbf_event_loop_lag_p99_seconds',
    help: 'p99 event-loop delay since the previous scrape',
    registers,
    collect() {
      this.set(loop.count === 0 ? 0 : loop.percentile(99) / 1e9);
      loop.reset();
    },
  });

  return {
    record(event) {
      const operation = operationName(event.endpoint);
      const route = routeLabel(event);
      const provider = event.provider ?? 'none';
      const model = event.model ?? 'none';
      const ok = event.status < 400;
      duration.observe([operation, route, provider, model, ok ? '' : String(event.status)], event.latencyMs / 1000);
      if (ok) {
        tokens.observe([operation, route, provider, model, 'input'], event.promptTokens);
        if (event.endpoint !== 'embeddings')
          tokens.observe([operation, route, provider, model, 'output'], event.completionTokens);
      }
      if (event.stream && event.ttfbMs !== null) ttft.observe([operation, route, provider, model], event.ttfbMs / 1000);
    },
    close: () => loop.disable(),
  };
}
