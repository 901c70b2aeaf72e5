import type { BudgetLedger, BudgetVerdict } from '@aisbf/core';
import type { Redis } from 'ioredis';
import { closeClient, createRedisClient } from './redis-client';

export interface RedisBudgetLedgerOptions {
  url: string;
  prefix: string;
  name?: string;
  onError?: (error: unknown) => void;
  /** Shared client instead of an own connection (not closed by `close()`). */
  client?: Redis;
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

const KEEP_MS = 86_400_000;

export function createRedisBudgetLedger(options: RedisBudgetLedgerOptions): BudgetLedger {
  const owned = options.client === undefined;
  const client =
    options.client ??
    createRedisClient({ url: options.url, name: options.name ?? 'aisbf-budget', onError: options.onError });
  client.defineCommand('aisbfBudgetReserve', { lua: RESERVE_SCRIPT });
  client.defineCommand('aisbfBudgetSettle', { lua: SETTLE_SCRIPT });
  type WithReserve = Redis & {
    aisbfBudgetReserve(...args: Array<string | number>): Promise<[number, number]>;
    aisbfBudgetSettle(...args: Array<string | number>): Promise<number>;
  };
  const key = (k: string): string => `${options.prefix}${k}`;
  return {
    async reserve(lines): Promise<BudgetVerdict> {
      if (lines.length === 0) return { allowed: true };
      const args: Array<string | number> = [lines.length, ...lines.map((l) => key(l.key))];
      for (const l of lines) args.push(l.limit, l.amount, l.resetAt + KEEP_MS);
      const [refused, used] = await (client as WithReserve).aisbfBudgetReserve(...args);
      return refused === 0 ? { allowed: true } : { allowed: false, line: refused - 1, used };
    },
    async settle(adjustments) {
      if (adjustments.length === 0) return;
      const args: Array<string | number> = [adjustments.length, ...adjustments.map((a) => key(a.key))];
      for (const a of adjustments) args.push(a.delta, a.resetAt + KEEP_MS);
      await (client as WithReserve).aisbfBudgetSettle(...args);
    },
    async used(k) {
      return Number((await client.get(key(k))) ?? 0);
    },
    async close() {
      if (owned) await closeClient(client);
    },
  };
}
