import type { Pricing } from '../config/provider-config.schema';

export interface TokenCounts {
  promptTokens: number;
  completionTokens: number;
  /** The part of `promptTokens` the backend served from its prompt cache (OpenAI `cached_tokens`). */
  cachedPromptTokens?: number;
}

/**
 * Cost of one request in micro-units of currency (docs/usage.md). Prices are per million tokens, so a
 * token at price P costs P micro-units. Returns null when a price needed for these tokens is missing:
 * an unpriced model is flagged as such, never billed as a silent 0. Cached prompt tokens fall back
 * to the prompt price when no `cached_prompt` price is set.
 */
export function computeCostMicros(pricing: Pricing | undefined, tokens: TokenCounts): number | null {
  if (pricing === undefined) return null;
  const cached = Math.min(Math.max(0, tokens.cachedPromptTokens ?? 0), tokens.promptTokens);
  const uncached = tokens.promptTokens - cached;
  const parts: Array<[number, number | undefined]> = [
    [uncached, pricing.prompt],
    [cached, pricing.cached_prompt ?? pricing.prompt],
    [tokens.completionTokens, pricing.completion],
  ];
  if (pricing.prompt === undefined && pricing.completion === undefined && pricing.cached_prompt === undefined)
    return null;
  let total = 0;
  for (const [count, price] of parts) {
    if (count === 0) continue;
    if (price === undefined) return null;
    total += count * price;
  }
  return Math.round(total);
}

/** `x-aisbf-cost`: currency units with six decimals (micro precision), or `unpriced`. */
export function formatCost(costMicros: number | null): string {
  if (costMicros === null) return 'unpriced';
  const sign = costMicros < 0 ? '-' : '';
  const abs = Math.abs(costMicros);
  return `${sign}${Math.floor(abs / 1_000_000)}.${String(abs % 1_000_000).padStart(6, '0')}`;
}
