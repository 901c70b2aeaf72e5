import { LRUCache } from 'lru-cache';
import { DEFAULT_RESPONSE_TTL_S, type ResponseStore } from '@aisbf/core';

export interface MemoryResponseStoreOptions {
  /** Bound on the characters held, all users together (LRU beyond it). Default 64 Mi. */
  maxChars?: number;
  ttlS?: number;
}

/** All-in-one mode's stored responses: an LRU bounded in size, each entry expiring after `ttlS`. */
export function createMemoryResponseStore(options: MemoryResponseStoreOptions = {}): ResponseStore {
  const cache = new LRUCache<string, string>({
    maxSize: options.maxChars ?? 64 * 1024 * 1024,
    sizeCalculation: (value, key) => value.length + key.length,
    ttl: (options.ttlS ?? DEFAULT_RESPONSE_TTL_S) * 1000,
  });
  return {
    get: async (userId, id) => cache.get(`${userId}\u0000${id}`) ?? null,
    async set(userId, id, json) {
      cache.set(`${userId}\u0000${id}`, json);
    },
    async close() {
      cache.clear();
    },
  };
}
