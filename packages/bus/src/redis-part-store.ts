import {
  GLOBAL_PART,
  partitionSnapshot,
  partUserId,
  userPartKey,
  type GlobalPart,
  type PartKey,
  type UserPart,
} from '@aisbf/core';
import type { Redis } from 'ioredis';
import {
  DEFAULT_LOG_LENGTH,
  parsePart,
  type LogEntry,
  type PartStore,
  type PartWrite,
  type Stored,
} from './part-store';
import { closeClient, createRedisClient, isReady } from './redis-client';

export interface RedisPartStoreOptions {
  url: string;
  prefix: string;
  name?: string;
  /** Entries the change log keeps (about: trimmed with `MAXLEN ~`). */
  logLength?: number;
  onError?: (error: unknown) => void;
}

/** The script `defineCommand` adds to the client. */
interface UserByTokenCommand {
  aisbfUserByToken(tokens: string, hash: string, partPrefix: string): Promise<unknown>;
}

export class PartStoreUnavailableError extends Error {
  override readonly name = 'PartStoreUnavailableError';
}

// Appends one change-log entry `<version>-<n>` naming the part and the entry before it (ids stay
// increasing when two writes share a version, or the log is ahead of a republished version).
const APPEND_LOG = `
local function appendLog(log, versionText, part, maxlen, at)
  local version = tonumber(versionText)
  local last = redis.call('XREVRANGE', log, '+', '-', 'COUNT', 1)
  local prev = '0-0'
  local ms, seq = version, 1
  if #last > 0 then
    prev = last[1][1]
    local lms, lseq = string.match(prev, '^(%d+)-(%d+)$')
    lms = tonumber(lms)
    if lms >= version then ms, seq = lms, tonumber(lseq) + 1 end
  end
  redis.call('XADD', log, 'MAXLEN', '~', maxlen, string.format('%d-%d', ms, seq),
    'v', versionText, 'p', part, 'prev', prev, 'at', at)
end
`;

// One script per part write, so the part, its version, the token and username indexes and the
// log entry change together: a node never finds a new part with an old token index, nor a log
// entry naming a part not yet written. Compare-and-set on the part's version (a hash field that
// outlives a deleted part, so a stale writer cannot bring a deleted user back).
// KEYS: part, versions, log, token index, user's token set, username index, user → username.
// ARGV: version, part name, json ('' = delete), log length, user id ('' = global), username,
//       append log ('1'/'0'), commit time, token hashes...
const WRITE_SCRIPT = `${APPEND_LOG}
local version = tonumber(ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '-1')
if current >= version then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
if ARGV[3] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[3]) end
local userId = ARGV[5]
if userId ~= '' then
  for _, h in ipairs(redis.call('SMEMBERS', KEYS[5])) do
    if redis.call('HGET', KEYS[4], h) == userId then redis.call('HDEL', KEYS[4], h) end
  end
  redis.call('DEL', KEYS[5])
  for i = 9, #ARGV do
    redis.call('HSET', KEYS[4], ARGV[i], userId)
    redis.call('SADD', KEYS[5], ARGV[i])
  end
  local old = redis.call('HGET', KEYS[7], userId)
  if old and redis.call('HGET', KEYS[6], old) == userId then redis.call('HDEL', KEYS[6], old) end
  if ARGV[6] ~= '' then
    redis.call('HSET', KEYS[6], ARGV[6], userId)
    redis.call('HSET', KEYS[7], userId, ARGV[6])
  else
    redis.call('HDEL', KEYS[7], userId)
  end
end
if ARGV[7] == '1' then appendLog(KEYS[3], ARGV[1], ARGV[2], ARGV[4], ARGV[8]) end
return 1
`;

// The full republish's closing entry: `*` tells readers to resynchronise what they hold.
const RESET_SCRIPT = `${APPEND_LOG}
appendLog(KEYS[1], ARGV[1], '*', ARGV[2], ARGV[3])
return 1
`;

// The sync marker's compare-and-set (docs/cluster.md "Control-plane cost"). KEYS: marker.
// ARGV: expected ('' = absent), next.
const SET_SYNCED_SCRIPT = `
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;

// A cold user's first request: the token index and the owner's part in one round trip instead of
// two. The part's key is built from the id found, so it cannot be declared in KEYS (a single
// Redis, as docs/cluster.md "Keys" describes, not a Redis Cluster).
// KEYS: token index. ARGV: token hash, user part key prefix.
const USER_BY_TOKEN_SCRIPT = `
local userId = redis.call('HGET', KEYS[1], ARGV[1])
if not userId then return false end
return {userId, redis.call('GET', ARGV[2] .. userId)}
`;

/** How many part writes a full republish sends per pipeline. */
const PUT_BATCH = 500;

/**
 * Config parts in Redis (docs/cluster.md "Keys"): `part:global`, `part:user:<id>` (JSON),
 * `part:versions` (hash), `token-user` (hash: token SHA-256 → user id), `user-tokens:<id>` (set),
 * `username-user` and `user-username` (hashes), `config:log` (stream). Provider keys stay
 * ciphertext inside the parts.
 */
export function createRedisPartStore(options: RedisPartStoreOptions): PartStore & { client: Redis } {
  const client = createRedisClient({
    url: options.url,
    name: options.name ?? 'aisbf-parts',
    onError: options.onError,
  });
  client.defineCommand('aisbfUserByToken', { numberOfKeys: 1, lua: USER_BY_TOKEN_SCRIPT });
  const p = options.prefix;
  const logLength = String(options.logLength ?? DEFAULT_LOG_LENGTH);
  const keys = {
    versions: `${p}part:versions`,
    synced: `${p}part:synced`,
    log: `${p}config:log`,
    tokens: `${p}token-user`,
    names: `${p}username-user`,
    nameOf: `${p}user-username`,
  };
  const partKey = (key: PartKey): string => `${p}part:${key}`;
  // Reads fail at once while Redis is away: the caller keeps the parts it holds instead of
  // waiting on ioredis' offline queue.
  const ensureReady = (): void => {
    if (!isReady(client)) throw new PartStoreUnavailableError(`redis is ${client.status}`);
  };
  const writeArgs = (version: number, at: number, write: PartWrite, log: boolean): Array<string | number> => {
    const userId = partUserId(write.key);
    const user = write.part !== null && userId !== null ? (write.part as UserPart) : null;
    return [
      7,
      partKey(write.key),
      keys.versions,
      keys.log,
      keys.tokens,
      `${p}user-tokens:${userId ?? ''}`,
      keys.names,
      keys.nameOf,
      String(version),
      write.key,
      write.part === null ? '' : JSON.stringify(write.part),
      logLength,
      userId ?? '',
      user?.user.username ?? '',
      log ? '1' : '0',
      String(at),
      ...(user?.tokens.map((t) => t.hash) ?? []),
    ];
  };
  // Every stored user part has its user in `user-username` (the write script keeps them together):
  // an HSCAN of that hash costs the users stored, where a SCAN MATCH walks every key in Redis
  // (other prefixes included: 600,000 keys on the bench's shared server).
  const scanUserIds = async (cursor: string): Promise<{ cursor: string; ids: string[] }> => {
    const [next, flat] = await client.hscan(keys.nameOf, cursor, 'COUNT', 1000);
    const ids: string[] = [];
    for (let i = 0; i < flat.length; i += 2) ids.push(flat[i]!);
    return { cursor: next, ids };
  };
  const writeMany = async (version: number, at: number, writes: readonly PartWrite[]): Promise<boolean> => {
    let wrote = false;
    for (let i = 0; i < writes.length; i += PUT_BATCH) {
      const pipeline = client.pipeline();
      for (const write of writes.slice(i, i + PUT_BATCH)) {
        const [numKeys, ...rest] = writeArgs(version, at, write, false);
        pipeline.eval(WRITE_SCRIPT, numKeys as number, ...rest);
      }
      for (const [error, result] of (await pipeline.exec()) ?? []) {
        if (error) throw error;
        if (result === 1) wrote = true;
      }
    }
    return wrote;
  };
  const reset = async (version: number, at: number): Promise<void> => {
    await client.eval(RESET_SCRIPT, 1, keys.log, String(version), logLength, String(at));
  };
  const toEntry = ([id, fields]: [string, string[]]): LogEntry => {
    const f = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
    return {
      id,
      version: Number(f.get('v') ?? 0),
      part: (f.get('p') ?? '*') as PartKey | '*',
      prev: f.get('prev') ?? '',
      at: Number(f.get('at') ?? 0),
    };
  };
  return {
    client,
    async write(version, at, write) {
      const [numKeys, ...rest] = writeArgs(version, at, write, true);
      return (await client.eval(WRITE_SCRIPT, numKeys as number, ...rest)) === 1;
    },
    async put(snapshot) {
      const { global, users } = partitionSnapshot(snapshot);
      const writes: PartWrite[] = [{ key: GLOBAL_PART, part: global }];
      for (const user of users) writes.push({ key: userPartKey(user.user.id), part: user });
      const live = new Set(writes.map((w) => w.key));
      let cursor = '0';
      do {
        const page = await scanUserIds(cursor);
        cursor = page.cursor;
        for (const id of page.ids) if (!live.has(userPartKey(id))) writes.push({ key: userPartKey(id), part: null });
      } while (cursor !== '0');
      const wrote = await writeMany(snapshot.version, snapshot.createdAt, writes);
      // Nothing newer (a republish of what is stored): readers have nothing to re-read.
      if (wrote) await reset(snapshot.version, snapshot.createdAt);
      return wrote;
    },
    writeMany,
    reset,
    scanUserIds,
    synced: () => client.get(keys.synced),
    async setSynced(expected, next) {
      return (await client.eval(SET_SYNCED_SCRIPT, 1, keys.synced, expected ?? '', next)) === 1;
    },
    async getGlobal() {
      ensureReady();
      const raw = await client.get(partKey(GLOBAL_PART));
      return raw === null ? null : { part: parsePart(GLOBAL_PART, raw) as GlobalPart, bytes: raw.length };
    },
    async getUsers(ids) {
      ensureReady();
      if (ids.length === 0) return [];
      const raws = await client.mget(ids.map((id) => partKey(userPartKey(id))));
      return raws.map((raw, i): Stored<UserPart> | null =>
        raw === null ? null : { part: parsePart(userPartKey(ids[i]!), raw) as UserPart, bytes: raw.length },
      );
    },
    async tokenOwner(hash) {
      ensureReady();
      return client.hget(keys.tokens, hash);
    },
    async userByToken(hash) {
      ensureReady();
      const found = (await (client as unknown as UserByTokenCommand).aisbfUserByToken(
        keys.tokens,
        hash,
        `${p}part:user:`,
      )) as [string, string | null] | null;
      if (found === null) return null;
      const [userId, raw] = found;
      return {
        userId,
        part: raw === null ? null : { part: parsePart(userPartKey(userId), raw) as UserPart, bytes: raw.length },
      };
    },
    async userIdByName(username) {
      ensureReady();
      return client.hget(keys.names, username);
    },
    async readLog(after, limit) {
      ensureReady();
      const rows = (await client.xrange(keys.log, `(${after}`, '+', 'COUNT', limit)) as Array<[string, string[]]>;
      return rows.map(toEntry);
    },
    async head() {
      ensureReady();
      const rows = (await client.xrevrange(keys.log, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
      return rows[0] === undefined ? null : toEntry(rows[0]);
    },
    connected: () => isReady(client),
    close: () => closeClient(client),
  };
}
