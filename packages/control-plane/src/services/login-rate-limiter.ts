/**
 * Slows password guessing (docs/control-plane.md): at most `maxFailures` failed logins per key (username, client
 * address) in a sliding window. In memory: per control-plane process, which is enough to make
 * online guessing impractical; a shared limiter can replace it behind the same shape.
 */
export interface LoginRateLimiter {
  /** Seconds until `key` may try again, or 0 when it may now. */
  retryAfterS(key: string): number;
  fail(key: string): void;
  reset(key: string): void;
  /** Keys currently remembered (stale ones are swept at most once a window). */
  size(): number;
}

export function createLoginRateLimiter(
  options: { maxFailures?: number; windowMs?: number; now?: () => number } = {},
): LoginRateLimiter {
  const max = options.maxFailures ?? 10;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const now = options.now ?? Date.now;
  const failures = new Map<string, number[]>();
  let sweptAt = now();
  // Keys that never come back (one-off addresses, sprayed names) would stay forever: once a window,
  // drop every key whose last failure is older than the window.
  const sweep = (): void => {
    if (now() - sweptAt < windowMs) return;
    sweptAt = now();
    const cutoff = sweptAt - windowMs;
    for (const [key, list] of failures) if ((list[list.length - 1] ?? 0) <= cutoff) failures.delete(key);
  };
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
      sweep();
      const list = recent(key);
      list.push(now());
      failures.set(key, list.slice(-max));
    },
    reset(key) {
      failures.delete(key);
    },
    size: () => failures.size,
  };
}
