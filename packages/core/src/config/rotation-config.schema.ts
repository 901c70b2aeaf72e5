import { z } from 'zod';
import { cacheSettingSchema } from '../response-cache';
import {
  condensationSchema,
  defaultLimitKeys,
  modelLimitKeys,
  modelLimitsOf,
  type ModelLimits,
} from './context-keys.schema';
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
  ...modelLimitKeys,
};

/** AISBF's `{"provider_id": "x", "models": [{name, weight, …}]}`: one entry per model of that provider. */
export const entryModelSchema = z
  .object({
    name: z.string().min(1, "name is required (the provider's model)").max(256),
    ...entryCommon,
    weight: z.number().min(0, 'weight must be >= 0').max(1_000_000).optional(),
    error_cooldown: z.number().min(0).max(86_400).optional(),
  })
  .extend(timeoutsSchema.shape)
  .loose();

/**
 * One `providers[]` entry: a provider model (`provider_id` with one `model`, AISBF's `models`
 * list, or neither: every model the provider lists, at the entry's weight), or AISBF's meta entry
 * naming another rotation or an autoselect (`route`). One object rather than a union, so a mistake
 * in an entry is reported at its own key instead of as "Invalid input" for the whole entry.
 */
export const rotationEntrySchema = z
  .object({
    provider_id: z.string().min(1, 'provider_id must not be empty').optional(),
    model: z.string().min(1, 'model must not be empty').max(256).optional(),
    models: z
      .array(entryModelSchema)
      .min(1, "models must not be empty (omit it for all the provider's models)")
      .max(1000)
      .optional(),
    route: z.string().min(1).max(300).optional(),
    ...entryCommon,
  })
  .extend(timeoutsSchema.shape)
  .loose()
  .superRefine((entry, ctx) => {
    const form =
      'expected {"provider_id": "…", "model": "…"}, {"provider_id": "…", "models": [{"name": "…", "weight": 1}]}, or {"route": "rotation/…"}';
    if (entry.provider_id === undefined && entry.route === undefined)
      ctx.addIssue({ code: 'custom', path: ['provider_id'], message: `provider_id is required: ${form}` });
    else if (entry.provider_id !== undefined && entry.route !== undefined)
      ctx.addIssue({ code: 'custom', path: ['route'], message: `give either "provider_id" or "route": ${form}` });
    else if (entry.model !== undefined && entry.models !== undefined)
      ctx.addIssue({ code: 'custom', path: ['models'], message: 'give either "model" or "models", not both' });
  });

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
    providers: z.array(rotationEntrySchema).max(1000).optional(),
    models: z.array(namedEntrySchema).optional(),
    privacy: z.boolean().default(false),
    capabilities: z.array(z.string().max(64)).max(64).default([]),
    strategy: z.enum(['priority', 'weighted']).default('priority'),
    notifyerrors: z.boolean().default(false),
    /** AISBF: tell the client in the answer when another entry than the first served. */
    notify_on_failover: z.boolean().optional(),
    /** The summariser of `conversational` / `hierarchical` condensation (docs/context.md). */
    condensation: condensationSchema.optional(),
    ...defaultLimitKeys,
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
  /** The entry's own context keys (AISBF's rotation model level, docs/context.md "Order of resolution"). */
  limits: ModelLimits;
  /** Position in the document, for issue paths: `providers[i]`, `providers[i].models[j]` or `models[i]`. */
  path: ReadonlyArray<string | number>;
} & (
  | { kind: 'provider'; providerId: string; model: string }
  /** AISBF's entry without `model`/`models`: every model of the provider, at this weight. */
  | { kind: 'provider-models'; providerId: string }
  | { kind: 'route'; route: string }
);

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

type EntrySource = {
  weight?: number | undefined;
  error_cooldown?: number | undefined;
  allowed_fails?: number | undefined;
  max_concurrency?: number | undefined;
  prefill?: boolean | undefined;
  context_window?: number | undefined;
  priority?: number | undefined;
} & Parameters<typeof modelLimitsOf>[0] &
  EntryTimeouts;

function common(raw: EntrySource, path: ReadonlyArray<string | number>, parent?: EntrySource) {
  return {
    weight: raw.weight ?? parent?.weight ?? 1,
    errorCooldownS: raw.error_cooldown ?? parent?.error_cooldown ?? 60,
    allowedFails: raw.allowed_fails ?? parent?.allowed_fails,
    maxConcurrency: raw.max_concurrency ?? parent?.max_concurrency,
    prefill: raw.prefill ?? parent?.prefill,
    contextWindow: raw.context_size ?? raw.context_window ?? parent?.context_size ?? parent?.context_window,
    priority: raw.priority ?? parent?.priority,
    timeouts: parent === undefined ? pickTimeouts(raw) : { ...pickTimeouts(parent), ...pickTimeouts(raw) },
    limits: parent === undefined ? modelLimitsOf(raw) : { ...modelLimitsOf(parent), ...modelLimitsOf(raw) },
    path,
  };
}

/** The entries of a parsed rotation, in document order, in one shape (AISBF's `models` lists expanded). */
export function rotationEntries(config: RotationConfig): RotationEntry[] {
  const entries: RotationEntry[] = [];
  (config.providers ?? []).forEach((raw, i) => {
    const providerId = raw.provider_id;
    if (providerId !== undefined) {
      if (raw.models !== undefined)
        raw.models.forEach((m, j) =>
          entries.push({
            ...common(m, ['providers', i, 'models', j], raw),
            kind: 'provider',
            providerId,
            model: m.name,
          }),
        );
      else if (raw.model !== undefined)
        entries.push({ ...common(raw, ['providers', i]), kind: 'provider', providerId, model: raw.model });
      else entries.push({ ...common(raw, ['providers', i]), kind: 'provider-models', providerId });
    } else if (raw.route !== undefined)
      entries.push({ ...common(raw, ['providers', i]), kind: 'route', route: raw.route });
  });
  (config.models ?? []).forEach((raw, i) => {
    entries.push({ ...common(raw, ['models', i]), kind: 'route', route: raw.name });
  });
  return entries;
}
