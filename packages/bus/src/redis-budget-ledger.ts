import type { BudgetLedger, BudgetLine, BudgetVerdict } from '@aisbf/core';
import type { Redis } from 'ioredis';
import { createLeaseBook, type Lease, type LeaseBook, type LeaseBookOptions } from './lease-book';
import { createSliceReturner } from './slice-returner';
import { closeClient, createRedisClient } from './redis-client';

export interface RedisBudgetLedgerOptions {
  url: string;
  prefix: string;
  name?: string;
  onError?: (error: unknown) => void;
  /** Shared client instead of an own connection (not closed by `close()`). */
  client?: Redis;
  /**
   * Node-local leases (docs/cluster.md "Leases"): a counter whose limit is at least `2 × divisor`
   * is reserved from slices this node added to it ahead of need, without a Redis round trip, and
   * settled into them. Never more than the limit cluster-wide; `used` then counts other nodes'
   * unused slices too. Absent: every reservation and settlement is one script call, as before.
   */
  leases?: Omit<LeaseBookOptions, 'now'>;
}

/**
 * Check every line, then add every amount, inside one Lua script: Redis runs it alone, so N data
 * planes reserving at once cannot pass more than the limit together (docs/usage.md). Counters expire a
 * day after their window ends (kept that long for dashboards reading the last window).
 * ARGV per line: limit, amount, expire-at (epoch ms).
 */
const RESERVE_SCRIPT = `
for i = 1, #KEYS do
  local used = tonumber(redis.call('GET', KEYS[i]) or '0')
  local limit = tonumber(ARGV[3 * i - 2])
  local amount = tonumber(ARGV[3 * i - 1])
  if used >= limit or used + amount > limit then return {i, used} end
end
for i = 1, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[3 * i - 1])
  redis.call('PEXPIREAT', KEYS[i], ARGV[3 * i])
end
return {0, 0}
`;

/**
 * A settlement's corrections in one command (not MULTI/EXEC, which is four and cannot share a
 * pipelined write with other requests' commands). ARGV per key: delta, expire-at (epoch ms).
 */
const SETTLE_SCRIPT = `
for i = 1, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[2 * i - 1])
  redis.call('PEXPIREAT', KEYS[i], ARGV[2 * i])
end
return 0
`;

/**
 * RESERVE_SCRIPT's rule with leases. ARGV per line: limit, need (the amount less what the node's
 * lease covers), extra (a new slice for the lease, as much as is left), expire-at, check (0: the
 * lease alone satisfies the line). Returns {refused line or 0, used} or {0, grant per line...}.
 */
const LEASE_RESERVE_SCRIPT = `
local used = {}
for i = 1, #KEYS do
  local u = tonumber(redis.call('GET', KEYS[i]) or '0')
  used[i] = u
  if ARGV[5 * i] == '1' then
    local limit = tonumber(ARGV[5 * i - 4])
    local need = tonumber(ARGV[5 * i - 3])
    if u >= limit or u + need > limit then return {i, u} end
  end
end
local reply = {0}
for i = 1, #KEYS do
  local need = tonumber(ARGV[5 * i - 3])
  local grant = tonumber(ARGV[5 * i - 4]) - used[i] - need
  local extra = tonumber(ARGV[5 * i - 2])
  if grant > extra then grant = extra end
  if grant < 0 then grant = 0 end
  redis.call('INCRBY', KEYS[i], need + grant)
  redis.call('PEXPIREAT', KEYS[i], ARGV[5 * i - 1])
  reply[i + 1] = grant
end
return reply
`;

const KEEP_MS = 86_400_000;
/** Prefixed keys kept at most (one per counter a node has reserved on lately). */
const KEYS_LIMIT = 10_000;
/** One verdict object for every allowed reservation (callers only read it). */
const ALLOWED: BudgetVerdict = { allowed: true };

export function createRedisBudgetLedger(options: RedisBudgetLedgerOptions): BudgetLedger {
  const owned = options.client === undefined;
  const client =
    options.client ??
    createRedisClient({ url: options.url, name: options.name ?? 'aisbf-budget', onError: options.onError });
  client.defineCommand('aisbfBudgetReserve', { lua: RESERVE_SCRIPT });
  client.defineCommand('aisbfBudgetSettle', { lua: SETTLE_SCRIPT });
  client.defineCommand('aisbfBudgetLeaseReserve', { lua: LEASE_RESERVE_SCRIPT });
  type WithReserve = Redis & {
    aisbfBudgetReserve(...args: Array<string | number>): Promise<[number, number]>;
    aisbfBudgetSettle(...args: Array<string | number>): Promise<number>;
    aisbfBudgetLeaseReserve(...args: Array<string | number>): Promise<number[]>;
  };
  const redis = client as WithReserve;
  /**
   * Prefixed keys by counter key, kept: the planner hands the same key strings request after
   * request, so the lease book's lookups hash strings seen before rather than a new concatenation
   * (docs/benchmarks.md "Bookkeeping per request"). Past KEYS_LIMIT it starts over.
   */
  const prefixed = new Map<string, string>();
  const key = (k: string): string => {
    let full = prefixed.get(k);
    if (full === undefined) {
      if (prefixed.size >= KEYS_LIMIT) prefixed.clear();
      full = `${options.prefix}${k}`;
      prefixed.set(k, full);
    }
    return full;
  };
  const lineKey = (l: BudgetLine): string => key(l.key);
  // Budget periods end at wall-clock times (`resetAt`), so the leases keep wall-clock time too.
  const book = options.leases === undefined ? null : createLeaseBook({ ...options.leases, now: () => Date.now() });
  const report = (error: unknown): void => options.onError?.(error);

  const settleInRedis = async (
    adjustments: ReadonlyArray<{ key: string; delta: number; resetAt: number }>,
  ): Promise<void> => {
    if (adjustments.length === 0) return;
    const args: Array<string | number> = [adjustments.length, ...adjustments.map((a) => key(a.key))];
    for (const a of adjustments) args.push(a.delta, a.resetAt + KEEP_MS);
    await redis.aisbfBudgetSettle(...args);
  };
  const returner = createSliceReturner(client, book, { idleMs: options.leases?.idleMs, onError: report });
  const giveBack = returner.giveBack;

  const exactReserve = async (lines: readonly BudgetLine[]): Promise<BudgetVerdict> => {
    const args: Array<string | number> = [lines.length, ...lines.map((l) => key(l.key))];
    for (const l of lines) args.push(l.limit, l.amount, l.resetAt + KEEP_MS);
    const [refused, used] = await redis.aisbfBudgetReserve(...args);
    return refused === 0 ? { allowed: true } : { allowed: false, line: refused - 1, used };
  };

  /** Decided from the leases without a round trip, or the promise of the script call. */
  const leasedReserve = (
    lines: readonly BudgetLine[],
    lb: LeaseBook,
    retried = false,
  ): BudgetVerdict | Promise<BudgetVerdict> => {
    const t = lb.now();
    const { leases: held, covered, taken } = lb.cover(lines, lineKey, t);
    if (taken) {
      // Every line from this node's leases: decided here, all or nothing (nothing yields in between).
      for (const l of lines) refill(l, lb, t);
      return ALLOWED;
    }
    return claimAndReserve(lines, lb, t, held, covered, retried);
  };

  /** Lines the leases do not cover: one script call for them, claiming new slices on the way. */
  const claimAndReserve = async (
    lines: readonly BudgetLine[],
    lb: LeaseBook,
    t: number,
    held: ReadonlyArray<Lease | undefined>,
    covered: readonly boolean[],
    retried: boolean,
  ): Promise<BudgetVerdict> => {
    // One script call: what the leases do not cover, plus new slices for them.
    const own = lines.map((l, i) => (covered[i] ? l.amount : Math.min(held[i]?.avail ?? 0, l.amount)));
    for (let i = 0; i < lines.length; i++) if (own[i]! > 0) held[i]!.avail -= own[i]!;
    const extras = lines.map((l) => lb.claimSize(key(l.key), l.limit, l.amount, t));
    const args: Array<string | number> = [lines.length, ...lines.map((l) => key(l.key))];
    lines.forEach((l, i) =>
      args.push(l.limit, l.amount - own[i]!, extras[i]!, l.resetAt + KEEP_MS, covered[i] ? 0 : 1),
    );
    const giveOwnBack = (): void => {
      const after = lb.now();
      lines.forEach((l, i) => {
        if (own[i]! > 0 && lb.live(key(l.key), after) === held[i]) held[i]!.avail += own[i]!;
      });
    };
    let reply: number[];
    try {
      reply = await redis.aisbfBudgetLeaseReserve(...args);
    } catch (error) {
      giveOwnBack();
      throw error;
    } finally {
      lines.forEach((l, i) => {
        if (extras[i]! > 0) lb.claimEnded(key(l.key));
      });
    }
    if (reply[0] !== 0) {
      giveOwnBack();
      const line = reply[0]! - 1;
      // Refused while this node's lease of that counter (claimed by a request in flight meanwhile)
      // holds more than this request counted: once more, from the leases. A single node so
      // reserves exactly up to the limit.
      const now = lb.live(key(lines[line]!.key), lb.now());
      if (!retried && (now?.avail ?? 0) > own[line]!) return leasedReserve(lines, lb, true);
      return { allowed: false, line, used: reply[1]! };
    }
    const after = lb.now();
    const unheld: Array<{ redisKey: string; amount: number }> = [];
    lines.forEach((l, i) => {
      const grant = reply[i + 1] ?? 0;
      if (grant <= 0) return;
      const k = key(l.key);
      const left = lb.granted(
        k,
        { redisKey: k, amount: grant, expiresAt: l.resetAt, limit: l.limit, claimed: extras[i]! },
        after,
      );
      if (left > 0) unheld.push({ redisKey: k, amount: left });
    });
    giveBack(unheld).catch(report);
    return { allowed: true };
  };

  /** A lease running low claims its next slice now, off the request's path. */
  const refill = (l: BudgetLine, lb: LeaseBook, t: number): void => {
    const k = key(l.key);
    const extra = lb.refillSize(k, t);
    if (extra === 0) return;
    const limit = lb.live(k, t)!.limit;
    const args = [1, k, limit, 0, extra, l.resetAt + KEEP_MS, 1];
    redis
      .aisbfBudgetLeaseReserve(...args)
      .then((reply) => {
        const grant = reply[0] === 0 ? (reply[1] ?? 0) : 0;
        const left = lb.granted(
          k,
          { redisKey: k, amount: grant, expiresAt: l.resetAt, limit, claimed: extra },
          lb.now(),
        );
        return giveBack(left > 0 ? [{ redisKey: k, amount: left }] : []);
      })
      .catch(report)
      .finally(() => lb.claimEnded(k));
  };

  return {
    reserve(lines) {
      if (lines.length === 0) return ALLOWED;
      return book === null ? exactReserve(lines) : leasedReserve(lines, book);
    },
    settle(adjustments) {
      if (adjustments.length === 0) return;
      if (book === null) return settleInRedis(adjustments);
      // A settlement moves units between the request and this node's lease of the counter; only
      // what the lease cannot absorb (more used than it holds) goes to Redis.
      const t = book.now();
      const rest: Array<{ key: string; delta: number; resetAt: number }> = [];
      for (const a of adjustments) {
        const lease = book.live(key(a.key), t);
        if (lease === undefined) rest.push(a);
        else if (a.delta <= 0) lease.avail -= a.delta;
        else {
          const taken = Math.min(lease.avail, a.delta);
          lease.avail -= taken;
          lease.lastUse = t;
          if (a.delta > taken) rest.push({ ...a, delta: a.delta - taken });
        }
      }
      return rest.length === 0 ? undefined : settleInRedis(rest);
    },
    async used(k) {
      // This node's unused slices are not used; other nodes' are counted (they are in Redis only).
      const lease = book?.live(key(k), book.now());
      return Number((await client.get(key(k))) ?? 0) - (lease?.avail ?? 0);
    },
    async close() {
      await returner.close();
      if (owned) await closeClient(client);
    },
  };
}
