import type { Leaf } from '../proxy/select-leaf';

/**
 * AISBF sends the resolved `max_tokens` (docs/context.md "Order of resolution") when the client
 * set no output bound of its own; a client's `max_tokens` or `max_completion_tokens` always wins.
 * Embeddings have no output to bound.
 */
export function fillMaxTokens(body: Record<string, unknown>, leaf: Leaf, upstreamPath: string): void {
  const maxTokens = leaf.limits.maxTokens;
  if (maxTokens === undefined || upstreamPath === '/embeddings') return;
  if (body['max_tokens'] !== undefined || body['max_completion_tokens'] !== undefined) return;
  body['max_tokens'] = maxTokens;
}
