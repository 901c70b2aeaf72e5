import { z } from 'zod';

/**
 * AISBF's context keys (docs/context.md "Keys"), shared by provider models, rotation entries and
 * their models. `condense_method` is one name or a list, applied in order; `rate_limit` is the
 * seconds to keep between two requests to the same model (0 or absent: no spacing).
 */
export const CONDENSE_METHODS = ['sliding_window', 'conversational', 'hierarchical'] as const;
export type CondenseMethod = (typeof CONDENSE_METHODS)[number];

export const condenseMethodSchema = z.union([
  z.string().min(1).max(64),
  z.array(z.string().min(1).max(64)).max(8, 'at most 8 condense methods'),
]);

const tokens = z.number().int().positive().max(100_000_000);

export const modelLimitKeys = {
  max_tokens: tokens.optional(),
  /** AISBF's name for the window; `context_window` is accepted too. */
  context_size: tokens.optional(),
  max_request_tokens: tokens.optional(),
  /** Condense once the prompt passes this percent of the window (default 100: only when it would not fit). */
  condense_context: z.number().min(1).max(100).optional(),
  condense_method: condenseMethodSchema.optional(),
  rate_limit: z.number().min(0).max(86_400).optional(),
};

/**
 * The provider / rotation / autoselect level: what a model that sets nothing gets. AISBF writes
 * `condense_context` / `condense_method` at these levels too, meaning the same as `default_condense_*`.
 */
export const defaultLimitKeys = {
  condense_context: z.number().min(1).max(100).optional(),
  condense_method: condenseMethodSchema.optional(),
  default_max_tokens: tokens.optional(),
  default_context_size: tokens.optional(),
  default_max_request_tokens: tokens.optional(),
  default_condense_context: z.number().min(1).max(100).optional(),
  default_condense_method: condenseMethodSchema.optional(),
  default_rate_limit: z.number().min(0).max(86_400).optional(),
};

/** The rotation's summariser for `conversational` and `hierarchical` (any route name). */
export const condensationSchema = z.object({
  route: z.string().min(1).max(300),
  /** Tokens the summary may take (its `max_tokens`). */
  max_tokens: tokens.optional(),
  /** How long the summariser may take before the request falls back to sliding_window. */
  timeout_s: z.number().positive().max(600).optional(),
});

/** One level's limits in one shape (camelCase); every field optional. */
export interface ModelLimits {
  maxTokens?: number;
  contextSize?: number;
  maxRequestTokens?: number;
  condenseContext?: number;
  condenseMethods?: readonly string[];
  rateLimitS?: number;
}

const methods = (value: string | readonly string[] | undefined): readonly string[] | undefined =>
  value === undefined ? undefined : typeof value === 'string' ? [value] : value;

/** The model-level keys of a parsed object (entry, entry model, provider model). */
export function modelLimitsOf(source: {
  max_tokens?: number | undefined;
  context_size?: number | undefined;
  context_window?: number | undefined;
  max_request_tokens?: number | undefined;
  condense_context?: number | undefined;
  condense_method?: string | readonly string[] | undefined;
  rate_limit?: number | undefined;
}): ModelLimits {
  const out: ModelLimits = {};
  if (source.max_tokens !== undefined) out.maxTokens = source.max_tokens;
  const ctx = source.context_size ?? source.context_window;
  if (ctx !== undefined) out.contextSize = ctx;
  if (source.max_request_tokens !== undefined) out.maxRequestTokens = source.max_request_tokens;
  if (source.condense_context !== undefined) out.condenseContext = source.condense_context;
  const m = methods(source.condense_method);
  if (m !== undefined) out.condenseMethods = m;
  if (source.rate_limit !== undefined) out.rateLimitS = source.rate_limit;
  return out;
}

/** The `default_*` keys of a level, as limits. */
export function defaultLimitsOf(source: {
  condense_context?: number | undefined;
  condense_method?: string | readonly string[] | undefined;
  default_max_tokens?: number | undefined;
  default_context_size?: number | undefined;
  default_max_request_tokens?: number | undefined;
  default_condense_context?: number | undefined;
  default_condense_method?: string | readonly string[] | undefined;
  default_rate_limit?: number | undefined;
}): ModelLimits {
  return modelLimitsOf({
    max_tokens: source.default_max_tokens,
    context_size: source.default_context_size,
    max_request_tokens: source.default_max_request_tokens,
    condense_context: source.default_condense_context ?? source.condense_context,
    condense_method: source.default_condense_method ?? source.condense_method,
    rate_limit: source.default_rate_limit,
  });
}
