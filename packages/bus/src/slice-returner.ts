import type { Redis } from 'ioredis';
import type { LeaseBook } from './lease-book';

/**
 * Hands unused slices back, only to a counter that still exists (an ended window or period
 * expired, or will). ARGV per key: the amount.
 */
const RETURN_SCRIPT = `
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('DECRBY', KEYS[i], ARGV[i]) end
end
return 0
`;

export interface SliceReturner {
  /** Takes the slices off their counters in Redis. */
  giveBack(slices: ReadonlyArray<{ redisKey: string; amount: number }>): Promise<void>;
  /** Stops the sweep and, when Redis is reachable, hands back every slice the book still holds. */
  close(): Promise<void>;
}

/**
 * The return half of a counter's leases, shared by the rate limiter and the budget ledger
 * (docs/cluster.md "Leases"): unused slices go back after `idleMs` (swept at most every 250 ms, on
 * a timer that does not hold the process open) and all of them on close.
 */
export function createSliceReturner(
  client: Redis,
  book: LeaseBook | null,
  options: { idleMs?: number | undefined; onError: (error: unknown) => void },
): SliceReturner {
  client.defineCommand('aisbfLeaseReturn', { lua: RETURN_SCRIPT });
  const redis = client as Redis & { aisbfLeaseReturn(...args: Array<string | number>): Promise<number> };
  const giveBack = async (slices: ReadonlyArray<{ redisKey: string; amount: number }>): Promise<void> => {
    if (slices.length === 0) return;
    await redis.aisbfLeaseReturn(slices.length, ...slices.map((s) => s.redisKey), ...slices.map((s) => s.amount));
  };
  const sweeper =
    book === null
      ? null
      : setInterval(
          () => giveBack(book.due(book.now())).catch(options.onError),
          Math.min(options.idleMs ?? 1_000, 250),
        );
  sweeper?.unref();
  return {
    giveBack,
    async close() {
      if (sweeper !== null) clearInterval(sweeper);
      if (book !== null && client.status === 'ready') await giveBack(book.drain()).catch(options.onError);
    },
  };
}
