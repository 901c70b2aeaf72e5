import type { Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { UsageAttempt, UsageEvent } from '@aisbf/core';
import { createGenAiMetrics } from './gen-ai-metrics';
import { logRequest } from './request-log';
import { createRequestTracing } from './request-tracing';

export interface ObserverDeps {
  registry: Registry;
  logger: Logger;
  clock: () => number;
  openCooldowns: () => number;
  /** Requests waiting for a free slot (every entry at its max_concurrency). */
  waitingForSlot?: () => number;
  snapshotCreatedAt: () => number | null;
  busConnected?: (() => boolean) | undefined;
  /** Default: the global tracer of @opentelemetry/api (a no-op unless an SDK is registered). */
  tracer?: Tracer | undefined;
}

/** Metrics, the request log line and the trace of each request, all fed by its usage event. */
export interface Observer {
  attemptEnded(attempt: UsageAttempt): void;
  record(event: UsageEvent): void;
  close(): void;
}

export function createObserver(deps: ObserverDeps): Observer {
  const metrics = createGenAiMetrics(deps);
  const tracing = createRequestTracing(deps);
  return {
    attemptEnded: (attempt) => tracing.attemptEnded(attempt),
    record(event) {
      metrics.record(event);
      logRequest(deps.logger, event);
      tracing.record(event);
    },
    close: () => metrics.close(),
  };
}
