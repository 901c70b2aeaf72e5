import type { RateDecision, RateLimiter, RateVerdict } from '@aisbf/core';

export interface MemoryRateLimiterOptions {
  now?: () => number;
}

/** All-in-one mode: the same fixed-window rule as the Redis limiter, in this process. */
export function createMemoryRateLimiter(options: MemoryRateLimiterOptions = {}): RateLimiter {
  const now = options.now ?? Date.now;
  /**
   * Windows by length, then by key: the caller's key strings are looked up as they come, where a
   * `${windowS}:${key}` id would be a new string to hash on every hit (docs/benchmarks.md
   * "Bookkeeping per request").
   */
  const windows = new Map<number, Map<string, { start: number; windowMs: number; used: number }>>();
  let sweepAt = 0;
  const sweep = (t: number): void => {
    // Drop finished windows now and then so idle keys do not accumulate.
    if (t < sweepAt) return;
    sweepAt = t + 60_000;
    for (const keyed of windows.values())
      for (const [key, w] of keyed) if (w.start + w.windowMs <= t) keyed.delete(key);
  };
  const windowOf = (key: string, windowS: number, t: number) => {
    const windowMs = windowS * 1000;
    const start = t - (t % windowMs);
    let keyed = windows.get(windowS);
    if (keyed === undefined) windows.set(windowS, (keyed = new Map()));
    let w = keyed.get(key);
    if (!w || w.start !== start) {
      w = { start, windowMs, used: 0 };
      keyed.set(key, w);
    }
    return w;
  };
  const passes = (used: number, limit: number, amount: number): boolean =>
    amount === 0 ? used < limit : used + amount <= limit;
  const decision = (
    w: { start: number; windowMs: number; used: number },
    limit: number,
    allowed: boolean,
    t: number,
  ): RateDecision => ({
    allowed,
    retryAfterS: allowed ? 0 : Math.max(1, Math.ceil((w.start + w.windowMs - t) / 1000)),
    limit,
    remaining: Math.max(0, limit - w.used),
  });
  return {
    async hit(key, limit, windowS, amount = 1): Promise<RateDecision> {
      const t = now();
      sweep(t);
      const w = windowOf(key, windowS, t);
      const allowed = passes(w.used, limit, amount);
      if (allowed) w.used += amount;
      return decision(w, limit, allowed, t);
    },
    async hitAll(hits): Promise<RateVerdict> {
      const t = now();
      sweep(t);
      const ws = hits.map((h) => windowOf(h.key, h.windowS, t));
      for (let i = 0; i < hits.length; i++)
        if (!passes(ws[i]!.used, hits[i]!.limit, hits[i]!.amount))
          return { allowed: false, index: i, decision: decision(ws[i]!, hits[i]!.limit, false, t) };
      hits.forEach((h, i) => (ws[i]!.used += h.amount));
      return { allowed: true };
    },
    close: async () => {
      windows.clear();
    },
  };
}
