import type { Redis } from 'ioredis';

/**
 * Keys that each expire on their own (PX) plus a sorted set naming the live ones, so reading them
 * costs the live keys, not the whole Redis keyspace a `SCAN … MATCH` walks (docs/cluster.md
 * "Cooldowns"). Member: the key without `keyPrefix`; score: its expiry (epoch ms). Writers add
 * the member in the same script or MULTI as the key, and prune expired members on each write;
 * readers prune them too.
 */
export interface ExpiringKeyIndex {
  /** `<prefix><kind>:`, the prefix of the indexed keys. */
  keyPrefix: string;
  /** `<prefix><kind>-index`: outside `<kind>:*`, so an older node's SCAN of the keys skips it. */
  indexKey: string;
}

export function expiringKeyIndex(prefix: string, kind: string): ExpiringKeyIndex {
  return { keyPrefix: `${prefix}${kind}:`, indexKey: `${prefix}${kind}-index` };
}

/**
 * The member that says "every key under the prefix is in the index". Only a reader that adopted
 * the keys with one SCAN adds it (a writer cannot know that keys written by a node older than the
 * index are all there); score +inf, so pruning never removes it. An entry key is never empty.
 */
const COMPLETE = '';

/**
 * Prunes expired members, then returns `member, value, …` of the live ones (dropping members whose
 * key is gone: closed by a node older than the index, or evicted), or nil when the index lacks its
 * COMPLETE mark (never adopted, or lost with a flushed or evicted index). The entry keys are built
 * from the members, so they cannot be declared in KEYS (a single Redis, as docs/cluster.md "Keys"
 * describes, not a Redis Cluster).
 */
const READ_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if not redis.call('ZSCORE', KEYS[1], ARGV[3]) then return false end
local out = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if member ~= ARGV[3] then
    local value = redis.call('GET', ARGV[2] .. member)
    if value then
      out[#out + 1] = member
      out[#out + 1] = value
    else
      redis.call('ZREM', KEYS[1], member)
    end
  end
end
return out`;

/** Adds SCANned keys still alive (NX: a writer's own score, the exact end, wins). */
const ADOPT_SCRIPT = `
local now = tonumber(ARGV[1])
for i = 3, #ARGV do
  local ttl = redis.call('PTTL', ARGV[i])
  if ttl > 0 then redis.call('ZADD', KEYS[1], 'NX', now + ttl, string.sub(ARGV[i], #ARGV[2] + 1)) end
end
return 0`;

/**
 * Every live key of the index with its value, the prefix cut off: one script, O(live keys). An
 * index without its COMPLETE mark is filled first with one SCAN of `<keyPrefix>*` (the first
 * reader of a cluster, or after Redis lost the index), keys written by nodes that predate the
 * index included; later reads issue no SCAN.
 */
export async function readExpiringKeys(
  client: Redis,
  index: ExpiringKeyIndex,
  now: number,
): Promise<Array<[string, string]>> {
  let flat = await readIndex(client, index, now);
  if (flat === null) {
    await adopt(client, index, now);
    flat = (await readIndex(client, index, now)) ?? [];
  }
  const found: Array<[string, string]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) found.push([flat[i]!, flat[i + 1]!]);
  return found;
}

async function readIndex(client: Redis, index: ExpiringKeyIndex, now: number): Promise<string[] | null> {
  return (await client.eval(READ_SCRIPT, 1, index.indexKey, String(now), index.keyPrefix, COMPLETE)) as string[] | null;
}

/** SCAN, not KEYS: a large keyspace must not block Redis for the other clients. */
async function adopt(client: Redis, index: ExpiringKeyIndex, now: number): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${index.keyPrefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await client.eval(ADOPT_SCRIPT, 1, index.indexKey, String(now), index.keyPrefix, ...keys);
  } while (cursor !== '0');
  await client.zadd(index.indexKey, '+inf', COMPLETE);
}
