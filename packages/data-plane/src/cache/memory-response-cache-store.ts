import type { CachedAnswer, ResponseCacheStore } from '@aisbf/core';

export interface MemoryResponseCacheStoreOptions {
  /** Bound on the bytes held (answer text plus a fixed overhead per entry). Default 64 MiB. */
  maxBytes?: number;
  now?: () => number;
}

interface Slot {
  value: CachedAnswer;
  bytes: number;
  expiresAt: number;
}

/** Rough per-entry cost beyond the answer text (key, metadata, Map slot). */
const ENTRY_OVERHEAD = 512;

/**
 * All-in-one mode's store: an LRU bounded in bytes (a Map keeps insertion order, so re-inserting
 * on a hit makes the first key the least recently used). Expired entries go on read or eviction.
 */
export function createMemoryResponseCacheStore(
  options: MemoryResponseCacheStoreOptions = {},
): ResponseCacheStore & { bytes(): number; size(): number } {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const now = options.now ?? Date.now;
  const slots = new Map<string, Slot>();
  let bytes = 0;
  const drop = (key: string, slot: Slot): void => {
    slots.delete(key);
    bytes -= slot.bytes;
  };
  return {
    async get(key) {
      const slot = slots.get(key);
      if (slot === undefined) return null;
      if (slot.expiresAt <= now()) {
        drop(key, slot);
        return null;
      }
      slots.delete(key);
      slots.set(key, slot);
      return slot.value;
    },
    async set(key, value, ttlMs) {
      // UTF-16 in memory: two bytes a character is the honest bound.
      const size = (value.body.length + value.model.length + value.provider.length) * 2 + ENTRY_OVERHEAD;
      const old = slots.get(key);
      if (old !== undefined) drop(key, old);
      if (size > maxBytes) return;
      for (const [k, slot] of slots) {
        if (bytes + size <= maxBytes) break;
        drop(k, slot);
      }
      slots.set(key, { value, bytes: size, expiresAt: now() + ttlMs });
      bytes += size;
    },
    async close() {
      slots.clear();
      bytes = 0;
    },
    bytes: () => bytes,
    size: () => slots.size,
  };
}
