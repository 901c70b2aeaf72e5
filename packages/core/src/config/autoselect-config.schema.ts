import { z } from 'zod';
import { USER_PATTERN_LIMITS, userPatternIssues } from '../autoselect/user-pattern';
import { defaultLimitKeys } from './context-keys.schema';
import { routeAliasesSchema } from './route-aliases.schema';

/** One candidate of an autoselect (the seed's `available_models` items). */
export const autoselectCandidateSchema = z
  .object({
    model_id: z.string().min(1, 'model_id is required').max(300),
    description: z.string().max(4000).default(''),
    privacy: z.boolean().default(false),
    /** AISBF: lower first when falling through after the chosen route failed. */
    priority: z.number().optional(),
    capabilities: z.array(z.string().max(64)).max(64).optional(),
    nsfw: z.boolean().optional(),
  })
  .loose();

export const autoselectConfigSchema = z
  .object({
    model_name: z.string().max(200).optional(),
    description: z.string().max(4000).optional(),
    /** Route name of the model that picks a candidate. */
    selection_model: z.string().min(1).max(300).optional(),
    fallback: z.string().min(1, 'fallback is required').max(300),
    classify_privacy: z.boolean().default(true),
    classify_semantic: z.boolean().default(true),
    classify_nsfw: z.boolean().default(false),
    privacy: z.boolean().default(false),
    nsfw: z.boolean().default(false),
    capabilities: z.array(z.string().max(64)).max(64).default([]),
    available_models: z
      .array(autoselectCandidateSchema)
      .min(1, 'available_models needs at least one candidate')
      .max(200),
    /** How long the selection model may take before `fallback` serves. */
    selection_timeout_ms: z.number().int().positive().max(120_000).default(5000),
    /** Seconds a decision is reused for the same conversation fingerprint. */
    decision_cache_s: z.number().min(0).max(3600).default(30),
    /** Extra regular expressions (RE2 syntax, docs/autoselect.md) that mark a request private. */
    private_patterns: z
      .array(z.string().max(USER_PATTERN_LIMITS.maxLength))
      .max(USER_PATTERN_LIMITS.maxCount)
      .default([]),
    /** Client model names that reach this autoselect (docs/clients.md "Route aliases"). */
    aliases: routeAliasesSchema.optional(),
    /** The last level of AISBF's order of resolution (docs/context.md). */
    ...defaultLimitKeys,
  })
  .loose()
  .superRefine((value, ctx) => {
    if (value.classify_semantic && value.selection_model === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['selection_model'],
        message: 'selection_model is required when classify_semantic is true',
      });
    }
    // Compiled as the data plane will run them (linear-time engine), so an unsupported one is refused now.
    for (const issue of userPatternIssues(value.private_patterns)) {
      ctx.addIssue({
        code: 'custom',
        path: issue.index === null ? ['private_patterns'] : ['private_patterns', issue.index],
        message: issue.message,
      });
    }
  });

export type AutoselectConfigInput = z.input<typeof autoselectConfigSchema>;
export type AutoselectConfig = z.output<typeof autoselectConfigSchema>;
export type AutoselectCandidate = z.output<typeof autoselectCandidateSchema>;
