import type { RateDecision, RateLimiter } from '@aisbf/core';
import type { Redis } from 'ioredis';
import { createLeaseBook, type LeaseBookOptions } from './lease-book';
import { createMemoryRateLimiter } from './memory-rate-limiter';
import { closeClient, createRedisClient, redisUsable } from './redis-client';

export interface RedisRateLimiterOptions {
  url: string;
  prefix: string;
  name?: string;
  onError?: (error: unknown) => void;
  /** Shared client instead of an own connection (not closed by `close()`). */
  client?: Redis;
  /**
   * While Redis is away: `local` (default) counts per node with the same rule, so requests keep
   * flowing (a cluster of K nodes may then pass up to K×limit); `reject` makes `hit` throw.
   */
  whenUnavailable?: 'local' | 'reject';
  /**
   * Node-local leases (docs/cluster.md "Leases"): a limit of at least `2 × divisor` is admitted
   * from slices of the window this node claimed ahead of need, without a Redis round trip. Never
   * more than the limit cluster-wide; other nodes' unused slices may refuse a little early.
   * Absent: every hit is one script call, as exact as before.
   */
  leases?: LeaseBookOptions;
}

/**
 * Fixed-window counter, decided atomically inside Redis (one Lua script per hit), so N nodes share
 * one exact count: offered N+k in a window, exactly N pass. The window is taken from Redis' own
 * clock (TIME), so node clock skew cannot split a window. Fixed windows allow up to 2x the limit
 * across a window boundary; that is the documented price of exactness and O(1) memory (see
 * docs/cluster.md). A denied hit is not counted. `amount: 0` peeks (allowed while below limit).
 * While Redis is away (after it was reachable once) hits are decided by a per-node count.
 */
const HIT_SCRIPT = `
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local windowMs = tonumber(ARGV[2]) * 1000
local limit = tonumber(ARGV[1])
local amount = tonumber(ARGV[3])
local windowStart = nowMs - (nowMs % windowMs)
local key = KEYS[1] .. ':' .. windowStart
local used = tonumber(redis.call('GET', key) or '0')
local retryMs = windowStart + windowMs - nowMs
local allowed
if amount == 0 then allowed = used < limit else allowed = used + amount <= limit end
if not allowed then return {0, used, retryMs} end
if amount > 0 then
  used = redis.call('INCRBY', key, amount)
  if used == amount then redis.call('PEXPIRE', key, windowMs + 1000) end
end
return {1, used, retryMs}
`;

/**
 * The leased hit: HIT_SCRIPT's rule, plus a slice of the window granted beyond the request's own
 * amount (ARGV[4], as much as is left) and the part of the amount the node's lease already covers
 * (ARGV[5], counted in the window ARGV[6] named; ignored when that window has ended).
 * Returns {allowed, used, retryMs, granted, windowStart}.
 */
const LEASE_HIT_SCRIPT = `
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local windowMs = tonumber(ARGV[2]) * 1000
local limit = tonumber(ARGV[1])
local amount = tonumber(ARGV[3])
local extra = tonumber(ARGV[4])
local windowStart = nowMs - (nowMs % windowMs)
local key = KEYS[1] .. ':' .. windowStart
local need = amount
if ARGV[6] == key then need = amount - tonumber(ARGV[5]) end
local used = tonumber(redis.call('GET', key) or '0')
local retryMs = windowStart + windowMs - nowMs
local allowed
if amount == 0 then allowed = used < limit else allowed = used + need <= limit end
if not allowed then return {0, used, retryMs, 0, windowStart} end
local grant = limit - used - need
if grant > extra then grant = extra end
if grant < 0 then grant = 0 end
local add = need + grant
if add > 0 then
  used = redis.call('INCRBY', key, add)
  if used == add then redis.call('PEXPIRE', key, windowMs + 1000) end
end
return {1, used, retryMs, grant, windowStart}
`;

/** Hands unused slices back: only to a window that still exists (an ended one expired or will). */
const RETURN_SCRIPT = `
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('DECRBY', KEYS[i], ARGV[i]) end
end
return 0
`;

export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const owned = options.client === undefined;
  const client =
    options.client ??
    createRedisClient({ url: options.url, name: options.name ?? 'aisbf-ratelimit', onError: options.onError });
  client.defineCommand('aisbfRateHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
  client.defineCommand('aisbfRateLeaseHit', { numberOfKeys: 1, lua: LEASE_HIT_SCRIPT });
  client.defineCommand('aisbfLeaseReturn', { lua: RETURN_SCRIPT });
  type WithHit = Redis & {
    aisbfRateHit(key: string, limit: number, windowS: number, amount: number): Promise<[number, number, number]>;
    aisbfRateLeaseHit(
      key: string,
      limit: number,
      windowS: number,
      amount: number,
      extra: number,
      own: number,
      ownKey: string,
    ): Promise<[number, number, number, number, number]>;
    aisbfLeaseReturn(...args: Array<string | number>): Promise<number>;
  };
  const redis = client as WithHit;
  const local = createMemoryRateLimiter();
  const fallback = options.whenUnavailable ?? 'local';
  const usable = redisUsable(client);
  const book = options.leases === undefined ? null : createLeaseBook(options.leases);
  const baseOf = (key: string, windowS: number): string => `${options.prefix}rl:${windowS}:${key}`;
  const report = (error: unknown): void => options.onError?.(error);

  const giveBack = async (slices: ReadonlyArray<{ redisKey: string; amount: number }>): Promise<void> => {
    if (slices.length === 0) return;
    await redis.aisbfLeaseReturn(slices.length, ...slices.map((s) => s.redisKey), ...slices.map((s) => s.amount));
  };

  /**
   * One script call: the request's own amount (less what its lease covers) and, when `extra` > 0, a
   * new slice for the lease. `sentAt` bounds the lease: it ends no later than the window in Redis.
   */
  const claim = async (
    id: string,
    base: string,
    hit: { limit: number; windowS: number; amount: number; own: number; ownKey: string; extra: number },
  ): Promise<{ allowed: boolean; used: number; retryMs: number }> => {
    const sentAt = book!.now();
    let reply: [number, number, number, number, number];
    try {
      reply = await redis.aisbfRateLeaseHit(base, hit.limit, hit.windowS, hit.amount, hit.extra, hit.own, hit.ownKey);
    } finally {
      if (hit.extra > 0) book!.claimEnded(id);
    }
    const [allowed, used, retryMs, grant, windowStart] = reply;
    if (grant > 0) {
      const unheld = book!.granted(
        id,
        {
          redisKey: `${base}:${windowStart}`,
          amount: grant,
          expiresAt: sentAt + retryMs,
          limit: hit.limit,
          claimed: hit.extra,
        },
        book!.now(),
      );
      if (unheld > 0) giveBack([{ redisKey: `${base}:${windowStart}`, amount: unheld }]).catch(report);
    }
    return { allowed: allowed === 1, used, retryMs };
  };

  const refill = (id: string, base: string, windowS: number, t: number): void => {
    const extra = book!.refillSize(id, t);
    if (extra === 0) return;
    const lease = book!.live(id, t)!;
    claim(id, base, { limit: lease.limit, windowS, amount: 0, own: 0, ownKey: '', extra }).catch(report);
  };

  const exact = async (key: string, limit: number, windowS: number, amount: number): Promise<RateDecision> => {
    const [allowed, used, retryMs] = await redis.aisbfRateHit(baseOf(key, windowS), limit, windowS, amount);
    return decision(allowed === 1, used, retryMs, limit);
  };

  const leased = async (
    key: string,
    limit: number,
    windowS: number,
    amount: number,
    retried = false,
  ): Promise<RateDecision> => {
    const id = `${windowS}:${key}`;
    const base = baseOf(key, windowS);
    const t = book!.now();
    const lease = book!.live(id, t);
    if (lease !== undefined && book!.take(lease, amount, t)) {
      refill(id, base, windowS, t);
      // What this node may still admit without asking: a lower bound of what the window has left.
      return { allowed: true, retryAfterS: 0, limit, remaining: lease.avail };
    }
    if (fallback === 'local' && !(await usable())) return local.hit(key, limit, windowS, amount);
    // The lease's last units count toward this request; Redis adds only the rest.
    const own = lease !== undefined && amount > 0 ? lease.avail : 0;
    if (own > 0) lease!.avail = 0;
    const extra = book!.claimSize(id, limit, amount, t);
    let verdict: { allowed: boolean; used: number; retryMs: number };
    try {
      verdict = await claim(id, base, { limit, windowS, amount, own, ownKey: lease?.redisKey ?? '', extra });
    } catch (error) {
      if (own > 0 && book!.live(id, book!.now()) === lease) lease!.avail += own;
      throw error;
    }
    if (!verdict.allowed) {
      const now = book!.now();
      if (own > 0 && book!.live(id, now) === lease) lease!.avail += own;
      // Refused while this node's own lease (claimed by a request in flight meanwhile) holds more
      // than this request counted: once more, from the lease. A single node so admits exactly the limit.
      if (!retried && (book!.live(id, now)?.avail ?? 0) > own) return leased(key, limit, windowS, amount, true);
    }
    return decision(verdict.allowed, verdict.used, verdict.retryMs, limit);
  };

  const sweeper =
    book === null
      ? null
      : setInterval(
          () => {
            giveBack(book.due(book.now())).catch(report);
          },
          Math.min(options.leases?.idleMs ?? 1_000, 250),
        );
  sweeper?.unref();

  return {
    async hit(key, limit, windowS, amount = 1): Promise<RateDecision> {
      if (book !== null) return leased(key, limit, windowS, amount);
      // Decide locally at once rather than queue behind a reconnect: the request path must not stall.
      if (fallback === 'local' && !(await usable())) return local.hit(key, limit, windowS, amount);
      return exact(key, limit, windowS, amount);
    },
    async close() {
      if (sweeper !== null) clearInterval(sweeper);
      // Unused slices go back so the window's other nodes can use them.
      if (book !== null && client.status === 'ready') await giveBack(book.drain()).catch(report);
      await local.close();
      if (owned) await closeClient(client);
    },
  };
}

function decision(allowed: boolean, used: number, retryMs: number, limit: number): RateDecision {
  return {
    allowed,
    retryAfterS: allowed ? 0 : Math.max(1, Math.ceil(retryMs / 1000)),
    limit,
    remaining: Math.max(0, limit - used),
  };
}
