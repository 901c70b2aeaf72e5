import type { Logger } from 'pino';
import type { UsageEvent } from '@aisbf/core';
import { routeLabel } from './route-label';

/**
 * The logger the request lines go through: the node's logger without its redaction. Redaction
 * matches keys (`token`, `*.apiKey`, …); no key of these lines is one of them, so it never changed
 * a request line, yet walking each line for its wildcard paths made it cost ~21 µs instead of ~4
 * (test/bench/request-bookkeeping.bench.ts, docs/benchmarks.md "Where the time went"). Every other
 * line (errors, warnings, whatever a caller logs) keeps the redaction.
 */
export const requestLogger = (logger: Logger): Logger => logger.child({}, { redact: { paths: [] } });

/**
 * One info line per request, built field by field from the usage event: no headers and no body
 * ever reach it, so no token or provider key can either (secrets kept out by construction, not
 * by redaction). The route is the resolved name or `unknown`, like the metric label.
 */
export function logRequest(logger: Logger, event: UsageEvent): void {
  logger.info(
    {
      requestId: event.requestId,
      route: routeLabel(event),
      provider: event.provider,
      model: event.model,
      endpoint: event.endpoint,
      stream: event.stream,
      status: event.status,
      outcome: event.outcome,
      latencyMs: Math.round(event.latencyMs),
      ttfbMs: event.ttfbMs === null ? null : Math.round(event.ttfbMs),
      attempts: event.attempts.length,
      tried: event.attempts.map((a) => `${a.provider}/${a.model}:${a.status ?? a.outcome}`),
      promptTokens: event.promptTokens,
      completionTokens: event.completionTokens,
      ...(event.cacheHit === true ? { cacheHit: true } : {}),
    },
    'request',
  );
}

/**
 * The line for a request that never became attributable (refused before a user and route were
 * known: not ready, bad token, rate limit, wrong method) or that needs no usage event (`/models`):
 * same shape, fewer facts, so "one line per request" holds on every path.
 */
export function logUnattributed(
  logger: Logger,
  line: { requestId: string; endpoint: string; status: number; latencyMs: number },
): void {
  logger.info(
    {
      requestId: line.requestId,
      route: 'unknown',
      provider: null,
      model: null,
      endpoint: line.endpoint,
      status: line.status,
      latencyMs: Math.round(line.latencyMs),
      attempts: 0,
    },
    'request',
  );
}
