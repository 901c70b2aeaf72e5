import type { ModelLimits } from '../config/context-keys.schema';
import type { RouteTarget } from '../routing/snapshot-index';

/** Which spacing a request to this target keeps (docs/context.md "Rate limit"), or null for none. */
export interface RequestSpacing {
  /** The spacer's key: the target's model or its whole provider, in its owner's scope. */
  key: string;
  intervalMs: number;
  /** Names what is spaced, for the attempts trail and the client's error. */
  what: string;
}

/**
 * AISBF's `rate_limit`, seconds between two requests. A model-level value (the rotation's model,
 * the provider's model, or a `default_rate_limit` standing in for them) spaces that model; else the
 * provider's own `rate_limit` spaces every model of the provider together. The model level wins,
 * including its 0 (a model the provider's spacing does not apply to).
 */
export function requestSpacing(target: RouteTarget, limits: ModelLimits): RequestSpacing | null {
  const modelS = limits.rateLimitS;
  if (modelS !== undefined)
    return modelS > 0
      ? { key: `model:${target.key}`, intervalMs: modelS * 1000, what: `${target.provider.id}/${target.model}` }
      : null;
  const providerS = target.provider.rateLimitS;
  if (providerS !== undefined && providerS > 0)
    return {
      key: `provider:${target.providerKey}`,
      intervalMs: providerS * 1000,
      what: `provider ${target.provider.id}`,
    };
  return null;
}
