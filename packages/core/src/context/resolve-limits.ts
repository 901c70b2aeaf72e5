import type { ModelLimits } from '../config/context-keys.schema';
import type { ProviderModel } from '../config/provider-config.schema';

/**
 * AISBF's order of resolution (docs/context.md "Order of resolution"): the rotation's model entry,
 * then the provider's model, then the provider's `default_*`, then the rotation's `default_*`,
 * then the autoselect's. Each key independently: the first level that sets it wins.
 */
export function resolveLimits(...levels: ReadonlyArray<ModelLimits | undefined>): ModelLimits {
  const out: ModelLimits = {};
  // Only set keys are assigned (never `delete`d afterwards): deleting turns the object into a
  // dictionary-mode one several times larger, and every rotation entry of every held user part
  // keeps one (docs/cluster.md "What a node holds").
  for (const key of LIMIT_KEYS) {
    for (const level of levels) {
      const value = level?.[key];
      if (value !== undefined) {
        (out as Record<string, unknown>)[key] = value;
        break;
      }
    }
  }
  return out;
}

const LIMIT_KEYS = [
  'maxTokens',
  'contextSize',
  'maxRequestTokens',
  'condenseContext',
  'condenseMethods',
  'rateLimitS',
] as const satisfies ReadonlyArray<keyof ModelLimits>;

/** A provider model's own level: its window, its `max_tokens` (or its default one) and its other keys. */
export function providerModelLimits(model: ProviderModel | undefined): ModelLimits | undefined {
  if (model === undefined) return undefined;
  const out: ModelLimits = { ...(model.limits ?? {}) };
  if (model.contextWindow !== undefined) out.contextSize = model.contextWindow;
  const fallback = model.defaults?.['max_tokens'];
  if (out.maxTokens === undefined && typeof fallback === 'number') out.maxTokens = fallback;
  return out;
}
