import type { Redis } from 'ioredis';
import { cachedAnswerSchema, safeJsonParse, type ResponseCacheStore } from '@aisbf/core';
import { closeClient, createRedisClient } from './redis-client';

export interface RedisResponseCacheStoreOptions {
  url: string;
  /** Key prefix, e.g. `aisbf:`; entries live at `{prefix}rcache:{key}`. */
  prefix: string;
  name?: string;
  onError?: (error: unknown) => void;
  /** Shared client instead of an own connection (not closed by `close()`). */
  client?: Redis;
}

/**
 * Cluster mode's response cache (docs/cache.md): one Redis shared by every data-plane node, so a hit
 * on one node is a hit on all. Each entry expires by itself (PX); Redis' own `maxmemory-policy`
 * bounds memory (docs/cache.md). A value that does not parse is treated as a miss, never served.
 */
export function createRedisResponseCacheStore(options: RedisResponseCacheStoreOptions): ResponseCacheStore {
  const owned = options.client === undefined;
  const client =
    options.client ??
    createRedisClient({ url: options.url, name: options.name ?? 'aisbf-response-cache', onError: options.onError });
  const entryKey = (key: string): string => `${options.prefix}rcache:${key}`;
  return {
    async get(key) {
      const raw = await client.get(entryKey(key));
      if (raw === null) return null;
      const json = safeJsonParse(raw);
      if (!json.ok) return null;
      const parsed = cachedAnswerSchema.safeParse(json.value);
      return parsed.success ? parsed.data : null;
    },
    async set(key, value, ttlMs) {
      await client.set(entryKey(key), JSON.stringify(value), 'PX', Math.max(1, Math.round(ttlMs)));
    },
    async close() {
      if (owned) await closeClient(client);
    },
  };
}
