import type { UsageEvent } from '@aisbf/core';

/**
 * The route name as a metric label or log field. Clients send any string as `model`; only names
 * that resolved to something (an attempt was made, or the cache answered) are bounded by the
 * config, so everything else collapses to `unknown` (cardinality, and a pasted key never lands in
 * a label or log line).
 */
export function routeLabel(event: Pick<UsageEvent, 'route' | 'attempts' | 'cacheHit'>): string {
  return event.attempts.length > 0 || event.cacheHit === true ? event.route : 'unknown';
}

/** GenAI semantic conventions' `gen_ai.operation.name` for an endpoint. */
export function operationName(endpoint: UsageEvent['endpoint']): string {
  return endpoint === 'chat.completions' ? 'chat' : endpoint === 'completions' ? 'text_completion' : 'embeddings';
}
