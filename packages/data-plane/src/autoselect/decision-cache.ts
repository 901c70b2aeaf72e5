/**
 * Short-lived memory of semantic decisions per (autoselect, privacy verdict, conversation fingerprint),
 * for `decision_cache_s` seconds (docs/autoselect.md). Bounded: the oldest entry goes when it is full, so a flood
 * of distinct conversations cannot grow a data-plane node's memory.
 */
export interface DecisionCache {
  get(key: string): string | undefined;
  set(key: string, modelId: string, ttlMs: number): void;
  clear(): void;
  readonly size: number;
}

export function createDecisionCache(options: { clock: () => number; maxEntries?: number }): DecisionCache {
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, { modelId: string; expiresAt: number }>();
  return {
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (entry.expiresAt <= options.clock()) {
        entries.delete(key);
        return undefined;
      }
      return entry.modelId;
    },
    set(key, modelId, ttlMs) {
      if (ttlMs <= 0) return;
      entries.delete(key);
      entries.set(key, { modelId, expiresAt: options.clock() + ttlMs });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done === true) break;
        entries.delete(oldest.value);
      }
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}
