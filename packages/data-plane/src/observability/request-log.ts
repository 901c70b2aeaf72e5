import type { Logger } from 'pino';
import type { UsageEvent } from '@aisbf/core';
import { routeLabel } from './route-label';

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
