import type { RequestSpacer, SpacingClaim } from '@aisbf/core';
import type { Redis } from 'ioredis';
import { createMemoryRequestSpacer } from './memory-request-spacer';
import { closeClient, createRedisClient, redisUsable } from './redis-client';

export interface RedisRequestSpacerOptions {
  url: string;
  prefix: string;
  name?: string;
  onError?: (error: unknown) => void;
  /** Shared client instead of an own connection (not closed by `close()`). */
  client?: Redis;
}

/**
 * One atomic script per claim: the key holds the next allowed time, read and moved in Redis, with
 * Redis' own clock (TIME), so N nodes share one spacing and node clock skew cannot open two slots.
 * The key expires when its slot opens (nothing is kept for idle models). While Redis is away (after
 * it was reachable once) claims are decided per node, like the rate limiter (docs/cluster.md).
 */
const CLAIM_SCRIPT = `
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nextAt = tonumber(redis.call('GET', KEYS[1]) or '0')
if nowMs < nextAt then return {0, nextAt - nowMs} end
local interval = tonumber(ARGV[1])
redis.call('SET', KEYS[1], nowMs + interval, 'PX', interval)
return {1, 0}
`;

export function createRedisRequestSpacer(options: RedisRequestSpacerOptions): RequestSpacer {
  const owned = options.client === undefined;
  const client =
    options.client ??
    createRedisClient({ url: options.url, name: options.name ?? 'aisbf-spacing', onError: options.onError });
  client.defineCommand('aisbfSpacingClaim', { numberOfKeys: 1, lua: CLAIM_SCRIPT });
  type WithClaim = Redis & { aisbfSpacingClaim(key: string, intervalMs: number): Promise<[number, number]> };
  const local = createMemoryRequestSpacer();
  const usable = redisUsable(client);
  return {
    async claim(key, intervalMs): Promise<SpacingClaim> {
      if (!(await usable())) return local.claim(key, intervalMs);
      const [claimed, waitMs] = await (client as WithClaim).aisbfSpacingClaim(
        `${options.prefix}space:${key}`,
        Math.max(1, Math.round(intervalMs)),
      );
      return claimed === 1 ? { claimed: true } : { claimed: false, waitMs };
    },
    async close() {
      await local.close();
      if (owned) await closeClient(client);
    },
  };
}
