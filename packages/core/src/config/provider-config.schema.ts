import { z } from 'zod';
import { slugSchema } from '../slug';
import { cacheSettingSchema } from '../response-cache';
import { defaultLimitKeys, modelLimitKeys, modelLimitsOf, type ModelLimits } from './context-keys.schema';
import { timeoutsSchema } from './timeouts.schema';
import { normalizeProviderType, PROVIDER_TYPES, type ProviderType } from './provider-types';

/** Prices in currency units per million tokens (docs/usage.md). */
export const pricingSchema = z.object({
  prompt: z.number().min(0).optional(),
  completion: z.number().min(0).optional(),
  cached_prompt: z.number().min(0).optional(),
});
export type Pricing = z.infer<typeof pricingSchema>;

/** A provider model: a bare name, or an object with its context window, defaults and prices. */
export const providerModelObjectSchema = z
  .object({
    name: z.string().min(1).max(256),
    /** AISBF spells it `context_size`; both are accepted. */
    context_window: z.number().int().positive().optional(),
    ...modelLimitKeys,
    /** Whether the model continues an assistant prefill (mid-stream rescue). */
    prefill: z.boolean().optional(),
    /** Request fields filled in only when the client omitted them. */
    defaults: z.record(z.string(), z.unknown()).optional(),
    default_max_tokens: z.number().int().positive().optional(),
    pricing: pricingSchema.optional(),
  })
  .loose();

export const providerModelSchema = z.union([z.string().min(1).max(256), providerModelObjectSchema]);
export type ProviderModelInput = z.infer<typeof providerModelSchema>;

export interface ProviderModel {
  name: string;
  contextWindow?: number;
  prefill?: boolean;
  defaults?: Record<string, unknown>;
  pricing?: Pricing;
  /**
   * AISBF's model-level context keys (docs/context.md): `max_tokens`, `max_request_tokens`,
   * `condense_*`, `rate_limit`. The window stays in `contextWindow`.
   */
  limits?: Omit<ModelLimits, 'contextSize'>;
}

export function normalizeProviderModel(input: ProviderModelInput): ProviderModel {
  if (typeof input === 'string') return { name: input };
  const defaults: Record<string, unknown> = { ...(input.defaults ?? {}) };
  if (input.default_max_tokens !== undefined && defaults['max_tokens'] === undefined) {
    defaults['max_tokens'] = input.default_max_tokens;
  }
  const model: ProviderModel = { name: input.name };
  const ctx = input.context_window ?? input.context_size;
  if (ctx !== undefined) model.contextWindow = ctx;
  if (input.prefill !== undefined) model.prefill = input.prefill;
  if (Object.keys(defaults).length > 0) model.defaults = defaults;
  if (input.pricing !== undefined) model.pricing = input.pricing;
  const { contextSize: _window, ...limits } = modelLimitsOf(input);
  if (Object.keys(limits).length > 0) model.limits = limits;
  return model;
}

export const providerTypeSchema = z.string().transform((value, ctx): ProviderType => {
  const type = normalizeProviderType(value);
  if (type !== null) return type;
  ctx.addIssue({
    code: 'custom',
    message: `unsupported provider type "${value}" (supported: ${Object.keys(PROVIDER_TYPES).join(', ')}; also OpenAI-compatible, gemini)`,
  });
  return z.NEVER;
});

export const endpointSchema = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without credentials, e.g. http://coderai-broker.internal:8080/v1')
  .transform((value) => value.replace(/\/+$/, ''));

/**
 * One provider as written by users, the seed and AISBF's providers.json. Unknown AISBF fields are
 * kept (loose) so an export round-trips them.
 */
export const providerObjectSchema = z
  .object({
    id: slugSchema,
    name: z.string().max(200).optional(),
    type: providerTypeSchema.default('openai'),
    /** Empty or absent: the type's default endpoint (provider-types.ts); required for `openai`. */
    endpoint: z.string().trim().optional(),
    api_key: z.string().max(4096).optional(),
    models: z.array(providerModelSchema).max(10_000).default([]),
    enabled: z.boolean().default(true),
    /** Global providers only: usable by admins only. */
    admin_only: z.boolean().default(false),
    /** Requests in flight to this provider before it counts as saturated. */
    max_concurrency: z.number().int().positive().optional(),
    /** `free` probes GET /models; `paid` sends a one-token completion; `none` relies on traffic only. */
    health_probe: z.enum(['free', 'paid', 'none']).default('free'),
    ...defaultLimitKeys,
    /** AISBF: seconds kept between two requests to this provider, cluster-wide (docs/context.md). */
    rate_limit: z.number().min(0).max(86_400).optional(),
    /** AISBF: whether the provider needs a key. A provider that needs one and has none is refused. */
    api_key_required: z.boolean().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    /** Exact-match response cache for direct `provider/model` routes (docs/cache.md). */
    cache: cacheSettingSchema.optional(),
  })
  .extend(timeoutsSchema.shape)
  .loose();

export const providerConfigSchema = providerObjectSchema.transform((config, ctx) => {
  const given = config.endpoint ?? '';
  const endpoint = given === '' ? PROVIDER_TYPES[config.type].defaultEndpoint : given;
  if (endpoint === null) {
    ctx.addIssue({ code: 'custom', path: ['endpoint'], message: `endpoint is required for type ${config.type}` });
    return z.NEVER;
  }
  const parsed = endpointSchema.safeParse(endpoint);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      ctx.addIssue({ code: 'custom', path: ['endpoint'], message: issue.message });
    return z.NEVER;
  }
  return { ...config, endpoint: parsed.data };
});

export type ProviderConfigInput = z.input<typeof providerConfigSchema>;
export type ProviderConfig = z.output<typeof providerConfigSchema>;
