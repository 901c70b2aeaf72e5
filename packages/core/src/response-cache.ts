import { z } from 'zod';

/**
 * Response cache contracts (docs/cache.md). The store is a port: an in-memory LRU in all-in-one mode,
 * Redis (shared by every data-plane node) in cluster mode. The data plane owns the policy.
 */

/** `cache: true` (default TTL), `false`, or `{ ttl_s }` on a rotation or a provider. */
export const cacheSettingSchema = z.union([
  z.boolean(),
  z.object({
    ttl_s: z
      .number()
      .int()
      .min(1)
      .max(30 * 86_400),
  }),
]);
export type CacheSetting = z.infer<typeof cacheSettingSchema>;

export const DEFAULT_CACHE_TTL_S = 300;

/** The TTL a setting asks for, in ms; null when caching is off. */
export function cacheTtlMs(setting: CacheSetting | undefined): number | null {
  if (setting === undefined || setting === false) return null;
  return (setting === true ? DEFAULT_CACHE_TTL_S : setting.ttl_s) * 1000;
}

/** One complete chat answer, kept as the whole `chat.completion` JSON whichever way it was served. */
export const cachedAnswerSchema = z.object({
  v: z.literal(1),
  provider: z.string(),
  providerOwnerId: z.string().nullable(),
  model: z.string(),
  /** The `chat.completion` JSON text; a streamed answer is reassembled into this shape. */
  body: z.string(),
  promptTokens: z.number().int().min(0),
  completionTokens: z.number().int().min(0),
  estimated: z.boolean(),
  /** Epoch ms. */
  storedAt: z.number(),
});
export type CachedAnswer = z.infer<typeof cachedAnswerSchema>;

export interface ResponseCacheStore {
  get(key: string): Promise<CachedAnswer | null>;
  set(key: string, value: CachedAnswer, ttlMs: number): Promise<void>;
  close(): Promise<void>;
}
