import type { RequestSpacer, SpacingClaim } from '@aisbf/core';

export interface MemoryRequestSpacerOptions {
  now?: () => number;
}

/** All-in-one mode: the same rule as the Redis spacer (next allowed time per key), in this process. */
export function createMemoryRequestSpacer(options: MemoryRequestSpacerOptions = {}): RequestSpacer {
  const now = options.now ?? Date.now;
  const nextAt = new Map<string, number>();
  let sweepAt = 0;
  return {
    async claim(key, intervalMs): Promise<SpacingClaim> {
      const t = now();
      if (t >= sweepAt) {
        // Keys whose slot is open again carry nothing: dropped now and then so idle ones do not pile up.
        sweepAt = t + 60_000;
        for (const [k, at] of nextAt) if (at <= t) nextAt.delete(k);
      }
      const at = nextAt.get(key);
      if (at !== undefined && t < at) return { claimed: false, waitMs: at - t };
      nextAt.set(key, t + intervalMs);
      return { claimed: true };
    },
    close: async () => {
      nextAt.clear();
    },
  };
}
