/**
 * Slows password guessing (issue 4): at most `maxFailures` failed logins per key (username, client
 * address) in a sliding window. In memory: per control-plane process, which is enough to make
 * online guessing impractical; a shared limiter can replace it behind the same shape.
 */
export interface LoginRateLimiter {
  /** Seconds until `key` may try again, or 0 when it may now. */
  retryAfterS(key: string): number;
  fail(key: string): void;
  reset(key: string): void;
}

export function createLoginRateLimiter(
  options: { maxFailures?: number; windowMs?: number; now?: () => number } = {},
): LoginRateLimiter {
  const max = options.maxFailures ?? 10;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const now = options.now ?? Date.now;
  const failures = new Map<string, number[]>();
  const recent = (key: string): number[] => {
    const cutoff = now() - windowMs;
    const list = (failures.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length === 0) failures.delete(key);
    else failures.set(key, list);
    return list;
  };
  return {
    retryAfterS(key) {
      const list = recent(key);
      if (list.length < max) return 0;
      const oldest = list[list.length - max] ?? now();
      return Math.max(1, Math.ceil((oldest + windowMs - now()) / 1000));
    },
    fail(key) {
      const list = recent(key);
      list.push(now());
      failures.set(key, list.slice(-max));
    },
    reset(key) {
      failures.delete(key);
    },
  };
}
