import { createHash } from 'node:crypto';

/** Summaries kept at most, and their characters at most in all (docs/context.md "Costs"). */
export const SUMMARY_CACHE_ENTRIES = 1000;
export const SUMMARY_CACHE_CHARS = 8_000_000;

/**
 * This process's summaries by conversation prefix (docs/context.md "Condensation"), least recently
 * used first out. Bounded twice: by entries and by the characters they hold, so a tenant's long
 * summaries cannot grow it past a few tens of MB. Another node does not see them (cluster mode
 * pays one summary per node and conversation).
 */
export interface SummaryCache {
  get(key: string): string | undefined;
  set(key: string, summary: string): void;
  readonly size: number;
}

export function createSummaryCache(bounds: { maxEntries?: number; maxChars?: number } = {}): SummaryCache {
  const maxEntries = bounds.maxEntries ?? SUMMARY_CACHE_ENTRIES;
  const maxChars = bounds.maxChars ?? SUMMARY_CACHE_CHARS;
  const entries = new Map<string, string>();
  let chars = 0;
  const drop = (key: string): void => {
    const old = entries.get(key);
    if (old === undefined) return;
    entries.delete(key);
    chars -= old.length;
  };
  return {
    get(key) {
      const summary = entries.get(key);
      if (summary === undefined) return undefined;
      // Touched: it moves to the newest end.
      entries.delete(key);
      entries.set(key, summary);
      return summary;
    },
    set(key, summary) {
      if (summary.length > maxChars) return;
      drop(key);
      entries.set(key, summary);
      chars += summary.length;
      for (const oldest of entries.keys()) {
        if (entries.size <= maxEntries && chars <= maxChars) break;
        drop(oldest);
      }
    },
    get size() {
      return entries.size;
    },
  };
}

/**
 * The cache key of each prefix `messages[0, end)` for the given ends, in one pass: a hash chain
 * over the messages, seeded by `scope` (whose conversation, which summariser, which method), so a
 * summary is only ever found again for the same user, route and method.
 */
export function prefixKeys(scope: string, messages: readonly unknown[], ends: readonly number[]): Map<number, string> {
  const wanted = new Set(ends);
  const last = Math.max(0, ...ends);
  const keys = new Map<number, string>();
  let chain = createHash('sha256').update(scope).digest('hex');
  if (wanted.has(0)) keys.set(0, chain);
  for (let i = 0; i < last; i++) {
    chain = createHash('sha256')
      .update(chain)
      .update(JSON.stringify(messages[i] ?? null))
      .digest('hex');
    if (wanted.has(i + 1)) keys.set(i + 1, chain);
  }
  return keys;
}
