import type { ModelLimits } from '../config/context-keys.schema';
import type { ProviderModel } from '../config/provider-config.schema';

/**
 * AISBF's order of resolution (docs/context.md "Order of resolution"): the rotation's model entry,
 * then the provider's model, then the provider's `default_*`, then the rotation's `default_*`,
 * then the autoselect's. Each key independently: the first level that sets it wins.
 */
export function resolveLimits(...levels: ReadonlyArray<ModelLimits | undefined>): ModelLimits {
  const out: ModelLimits = {};
  for (const level of levels) {
    if (level === undefined) continue;
    out.maxTokens ??= level.maxTokens;
    out.contextSize ??= level.contextSize;
    out.maxRequestTokens ??= level.maxRequestTokens;
    out.condenseContext ??= level.condenseContext;
    out.condenseMethods ??= level.condenseMethods;
    out.rateLimitS ??= level.rateLimitS;
  }
  for (const key of Object.keys(out) as Array<keyof ModelLimits>) if (out[key] === undefined) delete out[key];
  return out;
}

/** A provider model's own level: its window, its `max_tokens` (or its default one) and its other keys. */
export function providerModelLimits(model: ProviderModel | undefined): ModelLimits | undefined {
  if (model === undefined) return undefined;
  const out: ModelLimits = { ...(model.limits ?? {}) };
  if (model.contextWindow !== undefined) out.contextSize = model.contextWindow;
  const fallback = model.defaults?.['max_tokens'];
  if (out.maxTokens === undefined && typeof fallback === 'number') out.maxTokens = fallback;
  return out;
}
