import type { RateDecision, RateHit, RateLimiter, RateVerdict } from '@aisbf/core';
import type { Redis } from 'ioredis';
import { createLeaseBook, type Lease, type LeaseBookOptions } from './lease-book';
import { createMemoryRateLimiter } from './memory-rate-limiter';
import { createSliceReturner } from './slice-returner';
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
 * Fixed-window counters, decided atomically inside Redis (one Lua script per call, for every key
 * of the call), so N nodes share one exact count: offered N+k in a window, exactly N pass. The
 * window is taken from Redis' own clock (TIME), so node clock skew cannot split a window. Fixed
 * windows allow up to 2x the limit across a window boundary; that is the documented price of
 * exactness and O(1) memory (see docs/cluster.md). All of a call's hits pass and are counted, or
 * the first that refuses is returned and none is counted. `amount: 0` peeks (allowed while below
 * the limit). While Redis is away (after it was reachable once) hits are decided by a per-node count.
 *
 * KEYS: one counter base per hit (distinct). ARGV per hit (7): limit, window seconds, amount, extra
 * (a slice for the node's lease beyond the amount, as much as is left), own (the part of the amount
 * the node's lease already holds, counted in the window `ownKey` names; ignored once that window
 * ended), ownKey, check (0: the lease alone satisfies the hit in that window).
 * Returns {refused hit, used, retryMs} or {0, then per hit: used, retryMs, granted, windowStart}.
 */
const HIT_SCRIPT = `
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local keys, needs, useds, retries, starts = {}, {}, {}, {}, {}
for i = 1, #KEYS do
  local o = 7 * (i - 1)
  local limit = tonumber(ARGV[o + 1])
  local windowMs = tonumber(ARGV[o + 2]) * 1000
  local amount = tonumber(ARGV[o + 3])
  local windowStart = nowMs - (nowMs % windowMs)
  local key = KEYS[i] .. ':' .. windowStart
  local need = amount
  local check = true
  if ARGV[o + 6] == key then
    need = amount - tonumber(ARGV[o + 5])
    check = ARGV[o + 7] == '1'
  end
  local used = tonumber(redis.call('GET', key) or '0')
  local retryMs = windowStart + windowMs - nowMs
  if check then
    local allowed
    if amount == 0 then allowed = used < limit else allowed = used + need <= limit end
    if not allowed then return {i, used, retryMs} end
  end
  keys[i], needs[i], useds[i], retries[i], starts[i] = key, need, used, retryMs, windowStart
end
local reply = {0}
for i = 1, #KEYS do
  local o = 7 * (i - 1)
  local grant = tonumber(ARGV[o + 1]) - useds[i] - needs[i]
  local extra = tonumber(ARGV[o + 4])
  if grant > extra then grant = extra end
  if grant < 0 then grant = 0 end
  local add = needs[i] + grant
  local used = useds[i]
  if add > 0 then
    used = redis.call('INCRBY', keys[i], add)
    if used == add then redis.call('PEXPIRE', keys[i], tonumber(ARGV[o + 2]) * 1000 + 1000) end
  end
  reply[#reply + 1] = used
  reply[#reply + 1] = retries[i]
  reply[#reply + 1] = grant
  reply[#reply + 1] = starts[i]
end
return reply
`;

/** Lease ids and bases kept at most (one per key a node has hit lately). */
const NAMES_LIMIT = 10_000;
/** One outcome for every call decided from the leases (callers only read it). */
const FROM_LEASES: { verdict: RateVerdict; used: null } = { verdict: { allowed: true }, used: null };

export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const owned = options.client === undefined;
  const client =
    options.client ??
    createRedisClient({ url: options.url, name: options.name ?? 'aisbf-ratelimit', onError: options.onError });
  client.defineCommand('aisbfRateHits', { lua: HIT_SCRIPT });
  type WithHit = Redis & {
    aisbfRateHits(...args: Array<string | number>): Promise<number[]>;
  };
  const redis = client as WithHit;
  const local = createMemoryRateLimiter();
  const fallback = options.whenUnavailable ?? 'local';
  const usable = redisUsable(client);
  const book = options.leases === undefined ? null : createLeaseBook(options.leases);
  /**
   * Each counter's lease id and Redis base, by key, kept: callers hand the same key strings hit
   * after hit, so the lease book's lookups hash strings seen before rather than a new
   * concatenation (docs/benchmarks.md "Bookkeeping per request"). Past NAMES_LIMIT it starts over.
   */
  const names = new Map<string, { windowS: number; id: string; base: string }>();
  const nameOf = (hit: RateHit): { windowS: number; id: string; base: string } => {
    let n = names.get(hit.key);
    if (n === undefined || n.windowS !== hit.windowS) {
      if (names.size >= NAMES_LIMIT) names.clear();
      n = {
        windowS: hit.windowS,
        id: `${hit.windowS}:${hit.key}`,
        base: `${options.prefix}rl:${hit.windowS}:${hit.key}`,
      };
      names.set(hit.key, n);
    }
    return n;
  };
  const baseOf = (hit: RateHit): string => nameOf(hit).base;
  const idOf = (hit: RateHit): string => nameOf(hit).id;
  const report = (error: unknown): void => options.onError?.(error);

  const returner = createSliceReturner(client, book, { idleMs: options.leases?.idleMs, onError: report });
  const giveBack = returner.giveBack;

  /** One call's part of each hit: what the node's lease holds toward it, and the slice it claims. */
  interface Part {
    hit: RateHit;
    lease: Lease | undefined;
    own: number;
    covered: boolean;
    extra: number;
  }

  /**
   * One script call for every part. `sentAt` bounds a granted slice: it ends no later than its
   * window does in Redis. Returns the refused part's index (-1: all passed) with used and retryMs.
   */
  const call = async (parts: readonly Part[]): Promise<{ refused: number; used: number[]; retryMs: number[] }> => {
    const sentAt = book?.now() ?? 0;
    const args: Array<string | number> = [parts.length, ...parts.map((p) => baseOf(p.hit))];
    for (const p of parts)
      args.push(p.hit.limit, p.hit.windowS, p.hit.amount, p.extra, p.own, p.lease?.redisKey ?? '', p.covered ? 0 : 1);
    let reply: number[];
    try {
      reply = await redis.aisbfRateHits(...args);
    } finally {
      for (const p of parts) if (p.extra > 0) book!.claimEnded(idOf(p.hit));
    }
    if (reply[0] !== 0) return { refused: reply[0]! - 1, used: [reply[1]!], retryMs: [reply[2]!] };
    const used: number[] = [];
    const retryMs: number[] = [];
    const unheld: Array<{ redisKey: string; amount: number }> = [];
    parts.forEach((p, i) => {
      const [u, retry, grant, windowStart] = reply.slice(1 + 4 * i, 5 + 4 * i) as [number, number, number, number];
      used.push(u);
      retryMs.push(retry);
      if (grant <= 0) return;
      const redisKey = `${baseOf(p.hit)}:${windowStart}`;
      const left = book!.granted(
        idOf(p.hit),
        { redisKey, amount: grant, expiresAt: sentAt + retry, limit: p.hit.limit, claimed: p.extra },
        book!.now(),
      );
      if (left > 0) unheld.push({ redisKey, amount: left });
    });
    if (unheld.length > 0) giveBack(unheld).catch(report);
    return { refused: -1, used, retryMs };
  };

  /** A lease running low claims its next slice now, off the request's path. */
  const refill = (hit: RateHit, t: number): void => {
    const extra = book!.refillSize(idOf(hit), t);
    if (extra === 0) return;
    const lease = book!.live(idOf(hit), t)!;
    call([{ hit: { ...hit, limit: lease.limit, amount: 0 }, lease: undefined, own: 0, covered: false, extra }]).catch(
      report,
    );
  };

  /** `used`: each hit's count after the call, when Redis or the local twin answered for all. */
  type Outcome = { verdict: RateVerdict; used: number[] | null };
  const fromRedis = (hits: readonly RateHit[], r: { refused: number; used: number[]; retryMs: number[] }): Outcome =>
    r.refused < 0
      ? { verdict: { allowed: true }, used: r.used }
      : { verdict: refusal(r.refused, hits[r.refused]!.limit, r.used[0]!, r.retryMs[0]!), used: null };
  /** Redis away: the per-node twin decides, by the same rule. */
  const locally = async (hits: readonly RateHit[]): Promise<Outcome> => {
    if (hits.length !== 1) return { verdict: await local.hitAll(hits), used: null };
    const { key, limit, windowS, amount } = hits[0]!;
    const d = await local.hit(key, limit, windowS, amount);
    return {
      verdict: d.allowed ? { allowed: true } : { allowed: false, index: 0, decision: d },
      used: [d.limit - d.remaining],
    };
  };

  const decide = async (hits: readonly RateHit[], retried = false): Promise<Outcome> => {
    if (book === null) {
      // Decide locally at once rather than queue behind a reconnect: the request path must not stall.
      if (fallback === 'local' && !(await usable())) return locally(hits);
      return fromRedis(
        hits,
        await call(hits.map((hit) => ({ hit, lease: undefined, own: 0, covered: false, extra: 0 }))),
      );
    }
    const t = book.now();
    const { leases, covered, taken } = book.cover(hits, idOf, t);
    if (taken) {
      // Every hit from this node's leases: decided here, all or nothing (nothing yields in between).
      for (const hit of hits) refill(hit, t);
      return FROM_LEASES;
    }
    if (fallback === 'local' && !(await usable())) return locally(hits);
    // The leases' units count toward the hits; Redis adds only the rest, and new slices.
    const parts: Part[] = hits.map((hit, i) => {
      const lease = leases[i];
      const own = covered[i] ? hit.amount : Math.min(lease?.avail ?? 0, hit.amount);
      if (own > 0) lease!.avail -= own;
      return { hit, lease, own, covered: covered[i]!, extra: book.claimSize(idOf(hit), hit.limit, hit.amount, t) };
    });
    const giveOwnBack = (): void => {
      const now = book.now();
      for (const p of parts) if (p.own > 0 && book.live(idOf(p.hit), now) === p.lease) p.lease!.avail += p.own;
    };
    let r: Awaited<ReturnType<typeof call>>;
    try {
      r = await call(parts);
    } catch (error) {
      giveOwnBack();
      throw error;
    }
    if (r.refused < 0) {
      for (const p of parts) if (p.lease !== undefined) p.lease.lastUse = t;
      return fromRedis(hits, r);
    }
    giveOwnBack();
    // Refused while this node's own lease (claimed by a request in flight meanwhile) holds more
    // than this call counted: once more, from the lease. A single node so admits exactly the limit.
    const refusedPart = parts[r.refused]!;
    if (!retried && (book.live(idOf(refusedPart.hit), book.now())?.avail ?? 0) > refusedPart.own)
      return decide(hits, true);
    return fromRedis(hits, r);
  };

  return {
    async hit(key, limit, windowS, amount = 1): Promise<RateDecision> {
      const { verdict, used } = await decide([{ key, limit, windowS, amount }]);
      if (!verdict.allowed) return verdict.decision;
      // Decided from the lease: what this node may still admit without asking (a lower bound).
      const left =
        used === null ? (book?.live(idOf({ key, limit, windowS, amount }), book.now())?.avail ?? 0) : limit - used[0]!;
      return { allowed: true, retryAfterS: 0, limit, remaining: Math.max(0, left) };
    },
    async hitAll(hits) {
      return hits.length === 0 ? { allowed: true } : (await decide(hits)).verdict;
    },
    async close() {
      // Unused slices go back so the window's other nodes can use them.
      await returner.close();
      await local.close();
      if (owned) await closeClient(client);
    },
  };
}

function refusal(index: number, limit: number, used: number, retryMs: number): RateVerdict {
  return {
    allowed: false,
    index,
    decision: {
      allowed: false,
      retryAfterS: Math.max(1, Math.ceil(retryMs / 1000)),
      limit,
      remaining: Math.max(0, limit - used),
    },
  };
}
