import { resolveLimits, type ModelLimits } from '@aisbf/core';
import type { Leaf } from '../proxy/select-leaf';

/**
 * The last level of docs/context.md "Order of resolution": an autoselect's `default_*` keys, applied
 * per request (the same rotation or provider may be reached with or without one) to whatever the
 * rotation, provider and model levels left unset. A new leaf: indexed limits are shared.
 */
export function withDefaults(leaf: Leaf, defaults: ModelLimits): Leaf {
  const limits = resolveLimits(leaf.limits, defaults);
  return { ...leaf, limits, contextWindow: leaf.contextWindow ?? limits.contextSize };
}
