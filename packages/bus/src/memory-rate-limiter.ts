import type { RateDecision, RateLimiter } from '@aisbf/core';

export interface MemoryRateLimiterOptions {
  now?: () => number;
}

/** All-in-one mode: the same fixed-window rule as the Redis limiter, in this process. */
export function createMemoryRateLimiter(options: MemoryRateLimiterOptions = {}): RateLimiter {
  const now = options.now ?? Date.now;
  const windows = new Map<string, { start: number; windowMs: number; used: number }>();
  let sweepAt = 0;
  const sweep = (t: number): void => {
    // Drop finished windows now and then so idle keys do not accumulate.
    if (t < sweepAt) return;
    sweepAt = t + 60_000;
    for (const [key, w] of windows) if (w.start + w.windowMs <= t) windows.delete(key);
  };
  return {
    async hit(key, limit, windowS, amount = 1): Promise<RateDecision> {
      const t = now();
      sweep(t);
      const windowMs = windowS * 1000;
      const start = t - (t % windowMs);
      const id = `${windowS}:${key}`;
      let w = windows.get(id);
      if (!w || w.start !== start) {
        w = { start, windowMs, used: 0 };
        windows.set(id, w);
      }
      const allowed = amount === 0 ? w.used < limit : w.used + amount <= limit;
      if (allowed) w.used += amount;
      const retryMs = start + windowMs - t;
      return {
        allowed,
        retryAfterS: allowed ? 0 : Math.max(1, Math.ceil(retryMs / 1000)),
        limit,
        remaining: Math.max(0, limit - w.used),
      };
    },
    close: async () => {
      windows.clear();
    },
  };
}
