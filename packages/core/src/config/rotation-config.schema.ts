import { z } from 'zod';
import { cacheSettingSchema } from '../response-cache';
import { routeAliasesSchema } from './route-aliases.schema';
import { timeoutsSchema } from './timeouts.schema';

/**
 * A rotation entry pointing at a provider model (the seed's form). `weight` is a priority under
 * the default `priority` strategy and a share under `weighted` (docs/architecture.md "Rotations").
 */
const entryCommon = {
  weight: z.number().min(0, 'weight must be >= 0').max(1_000_000).default(1),
  /** Seconds an entry cools down after `allowed_fails` consecutive failures. */
  error_cooldown: z.number().min(0).max(86_400).default(60),
  allowed_fails: z.number().int().min(1).max(100).optional(),
  max_concurrency: z.number().int().positive().optional(),
  /** Accepts an assistant prefill, so it can continue an interrupted stream. */
  prefill: z.boolean().optional(),
  context_window: z.number().int().positive().optional(),
  /** AISBF: lower first when autoselect falls through its candidates. */
  priority: z.number().optional(),
};

export const providerEntrySchema = z
  .object({
    provider_id: z.string().min(1, 'provider_id is required'),
    model: z.string().min(1, 'model is required').max(256),
    ...entryCommon,
  })
  .extend(timeoutsSchema.shape)
  .loose();

/** AISBF's meta entry: another rotation or an autoselect, by route name. */
export const routeEntrySchema = z
  .object({
    route: z.string().min(1).max(300),
    ...entryCommon,
  })
  .extend(timeoutsSchema.shape)
  .loose();

/** AISBF's `models: [{name, weight, …}]` form; `name` is a route name (e.g. `provider/model`). */
export const namedEntrySchema = z
  .object({
    name: z.string().min(1).max(300),
    ...entryCommon,
  })
  .extend(timeoutsSchema.shape)
  .loose();

export const rotationConfigSchema = z
  .object({
    model_name: z.string().max(200).optional(),
    providers: z.array(z.union([providerEntrySchema, routeEntrySchema])).optional(),
    models: z.array(namedEntrySchema).optional(),
    privacy: z.boolean().default(false),
    capabilities: z.array(z.string().max(64)).max(64).default([]),
    strategy: z.enum(['priority', 'weighted']).default('priority'),
    notifyerrors: z.boolean().default(false),
    allowed_fails: z.number().int().min(1).max(100).default(3),
    /** After the first byte: end with an error event, or continue on a prefill-capable entry. */
    midstream: z.enum(['error', 'continue']).default('error'),
    /** Exact-match response cache for this route (docs/cache.md). */
    cache: cacheSettingSchema.optional(),
    description: z.string().max(2000).optional(),
    /** Client model names that reach this rotation (docs/clients.md "Route aliases"). */
    aliases: routeAliasesSchema.optional(),
  })
  .extend(timeoutsSchema.shape)
  .loose()
  .superRefine((value, ctx) => {
    const count = (value.providers?.length ?? 0) + (value.models?.length ?? 0);
    if (count === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['providers'],
        message: 'a rotation needs at least one entry in "providers" (or "models")',
      });
    }
  });

export type RotationConfigInput = z.input<typeof rotationConfigSchema>;
export type RotationConfig = z.output<typeof rotationConfigSchema>;

type EntryTimeouts = z.output<typeof timeoutsSchema>;

/** A rotation entry after normalization: either a provider model or a route reference. */
export type RotationEntry = {
  weight: number;
  errorCooldownS: number;
  allowedFails: number | undefined;
  maxConcurrency: number | undefined;
  prefill: boolean | undefined;
  contextWindow: number | undefined;
  priority: number | undefined;
  timeouts: EntryTimeouts;
} & ({ kind: 'provider'; providerId: string; model: string } | { kind: 'route'; route: string });

function pickTimeouts(source: EntryTimeouts): EntryTimeouts {
  const out: EntryTimeouts = {};
  for (const key of [
    'timeout_connect_s',
    'timeout_headers_s',
    'timeout_first_token_s',
    'timeout_idle_s',
    'timeout_total_s',
    'retry_after_max_s',
  ] as const) {
    if (source[key] !== undefined) out[key] = source[key];
  }
  if (source.retry !== undefined) out.retry = source.retry;
  return out;
}

/** The entries of a parsed rotation, in document order, in one shape. */
export function rotationEntries(config: RotationConfig): RotationEntry[] {
  const entries: RotationEntry[] = [];
  for (const raw of config.providers ?? []) {
    const common = {
      weight: raw.weight,
      errorCooldownS: raw.error_cooldown,
      allowedFails: raw.allowed_fails,
      maxConcurrency: raw.max_concurrency,
      prefill: raw.prefill,
      contextWindow: raw.context_window,
      priority: raw.priority,
      timeouts: pickTimeouts(raw),
    };
    const providerId = raw['provider_id'];
    const model = raw['model'];
    const route = raw['route'];
    if (typeof providerId === 'string' && typeof model === 'string')
      entries.push({ ...common, kind: 'provider', providerId, model });
    else if (typeof route === 'string') entries.push({ ...common, kind: 'route', route });
  }
  for (const raw of config.models ?? []) {
    entries.push({
      weight: raw.weight,
      errorCooldownS: raw.error_cooldown,
      allowedFails: raw.allowed_fails,
      maxConcurrency: raw.max_concurrency,
      prefill: raw.prefill,
      contextWindow: raw.context_window,
      priority: raw.priority,
      timeouts: pickTimeouts(raw),
      kind: 'route',
      route: raw.name,
    });
  }
  return entries;
}
