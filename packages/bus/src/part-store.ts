import {
  GLOBAL_PART,
  isGlobalPartShape,
  isUserPartShape,
  partitionSnapshot,
  partUserId,
  userPartKey,
  type GlobalPart,
  type PartKey,
  type Snapshot,
  type UserPart,
} from '@aisbf/core';

/**
 * One entry of the change log (docs/cluster.md "Change log"): part `part` was rewritten at
 * `version`. `part` is `*` for a full republish (every part may have changed). `prev` is the id of
 * the entry before it when it was written, so a reader that finds `prev` ≠ its cursor knows the
 * bounded log dropped entries it never read.
 */
export interface LogEntry {
  id: string;
  version: number;
  part: PartKey | '*';
  prev: string;
  /** Epoch ms the version was committed. */
  at: number;
}

/** A part to write: `part` null deletes it (user deleted or disabled). */
export type PartWrite =
  { key: typeof GLOBAL_PART; part: GlobalPart } | { key: `user:${string}`; part: UserPart | null };

/** A stored part with its serialised size (what a node's byte budget counts). */
export interface Stored<T> {
  part: T;
  bytes: number;
}

/** What `PartStore.userByToken` finds. */
export interface TokenUser {
  userId: string;
  part: Stored<UserPart> | null;
}

/**
 * Where config parts live for data-plane nodes (Redis in cluster mode, memory all-in-one), with the
 * token → user and username → user indexes and the bounded change log. Writes only move forward:
 * a part older than the stored one is ignored, so racing writers never roll a part back.
 */
export interface PartStore {
  /**
   * Writes one part at `version` and appends its log entry, atomically. False (and nothing
   * written) when the stored part is as new or newer.
   */
  write(version: number, at: number, write: PartWrite): Promise<boolean>;
  /**
   * Writes every part of `snapshot` (each only if newer), deletes user parts it does not hold,
   * then, if any part was written, appends a `*` entry: readers resynchronise what they hold.
   * Boot and reconnect.
   */
  put(snapshot: Snapshot): Promise<boolean>;
  /**
   * Writes these parts at `version` (each only if newer) without log entries: a full republish's
   * page; `reset` closes it. True when any part was written.
   */
  writeMany(version: number, at: number, writes: readonly PartWrite[]): Promise<boolean>;
  /** Appends a `*` entry: every part may have changed, readers resynchronise what they hold. */
  reset(version: number, at: number): Promise<void>;
  /** One page of the ids of the stored user parts (`cursor` '0' starts; the returned '0' ends). */
  scanUserIds(cursor: string): Promise<{ cursor: string; ids: string[] }>;
  /**
   * The publisher's sync marker (docs/cluster.md "Control-plane cost"): `v:<version>` = every
   * commit up to that version is stored. Gone when the store restarted empty.
   */
  synced(): Promise<string | null>;
  /** Sets the marker to `next` if it still is `expected` (null = absent); false otherwise. */
  setSynced(expected: string | null, next: string): Promise<boolean>;
  getGlobal(): Promise<Stored<GlobalPart> | null>;
  /** The user parts, in order; null where none is stored. */
  getUsers(ids: readonly string[]): Promise<Array<Stored<UserPart> | null>>;
  tokenOwner(hash: string): Promise<string | null>;
  /**
   * A token hash's owner and that owner's part in one read (one round trip in Redis): what a cold
   * user's first request costs (docs/cluster.md "What a node holds"). Null when no live token has
   * the hash; `part` null when the owner's part is gone (deleted or disabled meanwhile).
   */
  userByToken(hash: string): Promise<TokenUser | null>;
  userIdByName(username: string): Promise<string | null>;
  /** Entries after `after` (exclusive), oldest first, at most `limit`. */
  readLog(after: string, limit: number): Promise<LogEntry[]>;
  /** The newest entry, or null when the log is empty. */
  head(): Promise<LogEntry | null>;
  /** True while the store can be read. */
  connected(): boolean;
  close(): Promise<void>;
}

/** Default bound of the change log: a node away for fewer commits than this catches up from it. */
export const DEFAULT_LOG_LENGTH = 10_000;

/** Orders log ids `<version>-<seq>` (what Redis stream ids look like). */
export function compareLogIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}

/**
 * The id after `last` for an entry at `version`: `<version>-1` (sequences start at 1, Redis refuses
 * `0-0`), or the next sequence when the log is not behind `version`.
 */
export function nextLogId(last: string | null, version: number): string {
  if (last === null) return `${version}-1`;
  const [ms = 0, seq = 0] = last.split('-').map(Number);
  return ms >= version ? `${ms}-${seq + 1}` : `${version}-1`;
}

/** The cursor of a reader that has seen nothing: before every id. */
export const LOG_START = '0-0';

export function parsePart(key: PartKey, raw: string): GlobalPart | UserPart {
  const parsed: unknown = JSON.parse(raw);
  if (key === GLOBAL_PART ? !isGlobalPartShape(parsed) : !isUserPartShape(parsed))
    throw new Error(`stored part ${key} does not hold a config part`);
  return parsed as GlobalPart | UserPart;
}

/** All-in-one mode: the same store in this process (parts kept serialised, like in Redis). */
export function createMemoryPartStore(options: { logLength?: number } = {}): PartStore {
  const logLength = options.logLength ?? DEFAULT_LOG_LENGTH;
  const parts = new Map<PartKey, string>();
  const versions = new Map<string, number>();
  const tokens = new Map<string, string>();
  const tokensOf = new Map<string, string[]>();
  const names = new Map<string, string>();
  const nameOf = new Map<string, string>();
  const log: LogEntry[] = [];
  let lastId: string | null = null;
  const append = (version: number, at: number, part: PartKey | '*'): void => {
    const id = nextLogId(lastId, version);
    log.push({ id, version, part, prev: lastId ?? LOG_START, at });
    lastId = id;
    if (log.length > logLength) log.splice(0, log.length - logLength);
  };
  const store = (version: number, write: PartWrite): boolean => {
    if ((versions.get(write.key) ?? -1) >= version) return false;
    versions.set(write.key, version);
    const userId = partUserId(write.key);
    if (write.part === null) parts.delete(write.key);
    else parts.set(write.key, JSON.stringify(write.part));
    if (userId !== null) {
      for (const hash of tokensOf.get(userId) ?? []) if (tokens.get(hash) === userId) tokens.delete(hash);
      const part = write.part as UserPart | null;
      const hashes = part?.tokens.map((t) => t.hash) ?? [];
      for (const hash of hashes) tokens.set(hash, userId);
      tokensOf.set(userId, hashes);
      const old = nameOf.get(userId);
      if (old !== undefined && names.get(old) === userId) names.delete(old);
      if (part === null) nameOf.delete(userId);
      else {
        names.set(part.user.username, userId);
        nameOf.set(userId, part.user.username);
      }
    }
    return true;
  };
  let marker: string | null = null;
  const stored = <T>(key: PartKey): Stored<T> | null => {
    const raw = parts.get(key);
    return raw === undefined ? null : { part: parsePart(key, raw) as T, bytes: raw.length };
  };
  return {
    async write(version, at, write) {
      if (!store(version, write)) return false;
      append(version, at, write.key);
      return true;
    },
    async put(snapshot) {
      const { global, users } = partitionSnapshot(snapshot);
      let wrote = store(snapshot.version, { key: GLOBAL_PART, part: global });
      const live = new Set<PartKey>(users.map((u) => userPartKey(u.user.id)));
      for (const user of users)
        wrote = store(snapshot.version, { key: userPartKey(user.user.id), part: user }) || wrote;
      for (const key of [...parts.keys()])
        if (key !== GLOBAL_PART && !live.has(key))
          wrote = store(snapshot.version, { key: key as `user:${string}`, part: null }) || wrote;
      // Nothing newer (a republish of what is stored): readers have nothing to re-read.
      if (wrote) append(snapshot.version, snapshot.createdAt, '*');
      return wrote;
    },
    async writeMany(version, _at, writes) {
      let wrote = false;
      for (const write of writes) wrote = store(version, write) || wrote;
      return wrote;
    },
    async reset(version, at) {
      append(version, at, '*');
    },
    // One page: this process's map is small enough, and a Redis SCAN may also return everything at once.
    scanUserIds: async () => ({ cursor: '0', ids: [...parts.keys()].flatMap((key) => partUserId(key) ?? []) }),
    synced: async () => marker,
    async setSynced(expected, next) {
      if (marker !== expected) return false;
      marker = next;
      return true;
    },
    getGlobal: async () => stored<GlobalPart>(GLOBAL_PART),
    getUsers: async (ids) => ids.map((id) => stored<UserPart>(userPartKey(id))),
    tokenOwner: async (hash) => tokens.get(hash) ?? null,
    async userByToken(hash) {
      const userId = tokens.get(hash);
      return userId === undefined ? null : { userId, part: stored<UserPart>(userPartKey(userId)) };
    },
    userIdByName: async (username) => names.get(username) ?? null,
    async readLog(after, limit) {
      const out: LogEntry[] = [];
      for (const entry of log) {
        if (compareLogIds(entry.id, after) <= 0) continue;
        out.push(entry);
        if (out.length >= limit) break;
      }
      return out;
    },
    head: async () => log.at(-1) ?? null,
    connected: () => true,
    close: async () => undefined,
  };
}
