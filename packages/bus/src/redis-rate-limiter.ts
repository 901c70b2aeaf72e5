import type { RateDecision, RateLimiter } from '@aisbf/core';
import type { Redis } from 'ioredis';
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

export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const owned = options.client === undefined;
  const client =
    options.client ??
    createRedisClient({ url: options.url, name: options.name ?? 'aisbf-ratelimit', onError: options.onError });
  client.defineCommand('aisbfRateHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
  type WithHit = Redis & {
    aisbfRateHit(key: string, limit: number, windowS: number, amount: number): Promise<[number, number, number]>;
  };
  const local = createMemoryRateLimiter();
  const fallback = options.whenUnavailable ?? 'local';
  const usable = redisUsable(client);
  return {
    async hit(key, limit, windowS, amount = 1): Promise<RateDecision> {
      // Decide locally at once rather than queue behind a reconnect: the request path must not stall.
      if (fallback === 'local' && !(await usable())) return local.hit(key, limit, windowS, amount);
      const [allowed, used, retryMs] = await (client as WithHit).aisbfRateHit(
        `${options.prefix}rl:${windowS}:${key}`,
        limit,
        windowS,
        amount,
      );
      return {
        allowed: allowed === 1,
        retryAfterS: allowed === 1 ? 0 : Math.max(1, Math.ceil(retryMs / 1000)),
        limit,
        remaining: Math.max(0, limit - used),
      };
    },
    async close() {
      await local.close();
      if (owned) await closeClient(client);
    },
  };
}
