import {
  GLOBAL_PART,
  partKeyOf,
  userPartKey,
  type ConfigChange,
  type ConfigPartLoader,
  type PartKey,
} from '@aisbf/core';
import type { Bus } from './bus';
import type { PartStore, PartWrite } from './part-store';
import { configChangedTopic } from './topics';

/** Structurally the control plane's `ConfigPublisher` port. */
export interface PartPublisher {
  publish(change: ConfigChange): Promise<void>;
  /**
   * Brings the store up to the database and announces it (`kind: 'snapshot'`): only the parts
   * changed since the store's sync marker, or every part, in pages, when the marker is gone (a
   * restarted Redis without persistence comes back empty) or too old. Call at boot; it also runs
   * on every bus reconnect.
   */
  republish(): Promise<RepublishResult>;
  close(): Promise<void>;
}

/** What a republish did (logged at boot; the tests check it). */
export interface RepublishResult {
  /** `changed`: the parts changed since the marker; `full`: every part. */
  mode: 'changed' | 'full';
  /** The version every commit up to which is now stored. */
  version: number;
  /** Parts read from the database and offered to the store (each kept only if newer). */
  parts: number;
  /** Whether any part was newer than the stored one. */
  wrote: boolean;
}

export interface PartPublisherOptions {
  bus: Bus;
  store: PartStore;
  /** Reads committed parts (`configPartLoader(db)` from @aisbf/db). */
  load: ConfigPartLoader;
  /** Default true. */
  republishOnReconnect?: boolean;
  /** Users read per page in a full republish (default 1,000). */
  pageSize?: number;
  onError?: (error: unknown, context: string) => void;
}

/** Parts stored recently, by version: the other changes of one commit need no second read. */
const STORED_MEMO = 1_000;
const MARKER = 'v:';

/**
 * Control-plane side of docs/cluster.md "Partitioned propagation": after a commit, read only the
 * part the change touched (one user's rows by index, or the global rows), store it with its log
 * entry, then announce. Storing first matters: a node that hears the announcement finds that
 * version (or a newer one) in the store. Publishes are serialised so announcements leave in
 * version order. A change that names no owner rewrites every part (no service commits one:
 * docs/cluster.md "Control-plane cost").
 */
export function createPartPublisher(options: PartPublisherOptions): PartPublisher {
  const { store, load } = options;
  const pageSize = options.pageSize ?? 1_000;
  let chain: Promise<unknown> = Promise.resolve();
  let stored = new Map<PartKey, number>();
  const remember = (key: PartKey, version: number): void => {
    if (stored.size >= STORED_MEMO) stored = new Map();
    stored.set(key, Math.max(version, stored.get(key) ?? -1));
  };
  /** Writes the part and returns the version it was read at (later commits may be in it). */
  const storePart = async (ownerId: string | null): Promise<{ version: number; wrote: boolean }> => {
    if (ownerId === null) {
      const global = await load.global();
      const wrote = await store.write(global.version, global.createdAt, { key: GLOBAL_PART, part: global });
      return { version: global.version, wrote };
    }
    const read = await load.user(ownerId);
    const wrote = await store.write(read.version, read.createdAt, { key: userPartKey(ownerId), part: read.part });
    return { version: read.version, wrote };
  };

  /**
   * Every part, in pages of `pageSize` users (memory bounded by two pages, not by the users), then
   * the deletion of stored parts whose user is gone, then one `*` log entry. Every page is read
   * at a version ≥ the global part's, so once done every commit up to that version is stored.
   */
  const republishAll = async (marker: string | null): Promise<RepublishResult> => {
    // The claim: if the store restarts meanwhile, the marker is gone and the closing
    // compare-and-set fails, so no marker ever vouches for parts a restart lost.
    const claim = `full:${crypto.randomUUID()}`;
    const claimed = await store.setSynced(marker, claim);
    const global = await load.global();
    let wrote = await store.writeMany(global.version, global.createdAt, [{ key: GLOBAL_PART, part: global }]);
    let parts = 1;
    const live = new Set<string>();
    // The next page is read while the previous one is written: the database and Redis work at
    // once, and at most two pages are in memory.
    let writing: Promise<boolean> = Promise.resolve(false);
    for (let after: string | null = ''; after !== null;) {
      const page = await load.users({ after, limit: pageSize });
      const writes: PartWrite[] = page.parts.map(({ userId, part }) => ({ key: userPartKey(userId), part }));
      for (const { userId, part } of page.parts) if (part !== null) live.add(userId);
      const previous = writing;
      writing = store.writeMany(page.version, page.createdAt, writes);
      // Handled here too: a failed write must not be an unhandled rejection while the next page is read.
      writing.catch(() => undefined);
      wrote = (await previous) || wrote;
      parts += writes.length;
      after = page.next;
    }
    wrote = (await writing) || wrote;
    // Parts of users deleted while no publisher ran. A user created after the global read is
    // not in `live`, but its part is newer than this version, so the compare-and-set keeps it.
    let cursor = '0';
    do {
      const page = await store.scanUserIds(cursor);
      cursor = page.cursor;
      const gone = page.ids.filter((id) => !live.has(id));
      if (gone.length > 0)
        wrote =
          (await store.writeMany(
            global.version,
            global.createdAt,
            gone.map((id) => ({ key: userPartKey(id), part: null })),
          )) || wrote;
    } while (cursor !== '0');
    // Nothing newer (a republish of what is stored): readers have nothing to re-read.
    if (wrote) await store.reset(global.version, global.createdAt);
    if (claimed) await store.setSynced(claim, `${MARKER}${global.version}`);
    stored = new Map();
    return { mode: 'full', version: global.version, parts, wrote };
  };

  /**
   * Boot and reconnect: the parts changed since the marker's version (their owners are recorded
   * with each commit in the database), or every part when that is unknown.
   */
  const republish = async (force: boolean): Promise<RepublishResult> => {
    const marker = await store.synced();
    const from = marker?.startsWith(MARKER) ? Number(marker.slice(MARKER.length)) : NaN;
    if (force || !Number.isSafeInteger(from)) return republishAll(marker);
    const changed = await load.changedSince(from);
    if (changed.owners === null) return republishAll(marker);
    let version = changed.version;
    let wrote = false;
    if (changed.owners.length <= pageSize)
      // The usual boot: a few parts, each with its own log entry (nodes re-read only those).
      for (const owner of changed.owners) {
        const read = await storePart(owner);
        remember(partKeyOf(owner), read.version);
        wrote = read.wrote || wrote;
        version = Math.max(version, read.version);
      }
    else {
      // Many: read in pages of users by id, stored without entries, then one `*` entry.
      const users = changed.owners.filter((o): o is string => o !== null);
      if (users.length < changed.owners.length) {
        const read = await storePart(null);
        wrote = read.wrote || wrote;
      }
      for (let i = 0; i < users.length; i += pageSize) {
        const page = await load.users({ ids: users.slice(i, i + pageSize) });
        const writes = page.parts.map(({ userId, part }): PartWrite => ({ key: userPartKey(userId), part }));
        wrote = (await store.writeMany(page.version, page.createdAt, writes)) || wrote;
        version = Math.max(version, page.version);
      }
      if (wrote) await store.reset(changed.version, changed.createdAt);
      stored = new Map();
    }
    if (changed.version !== from) await store.setSynced(marker, `${MARKER}${changed.version}`);
    return { mode: 'changed', version, parts: changed.owners.length, wrote };
  };

  const run = async (change: ConfigChange): Promise<void> => {
    let version = change.version;
    if (change.kind === 'snapshot' || change.owner === undefined)
      version = Math.max(version, (await republish(true)).version);
    else {
      const key = partKeyOf(change.owner);
      if ((stored.get(key) ?? -1) < change.version) {
        const read = await storePart(change.owner);
        remember(key, read.version);
        version = Math.max(version, read.version);
      } else version = Math.max(version, stored.get(key) ?? -1);
    }
    // The part read after the commit may already hold later commits: announce what was stored.
    await options.bus.publish(configChangedTopic, { ...change, version });
  };
  const enqueue = <T>(task: () => Promise<T>): Promise<T> => {
    const next = chain.then(task);
    chain = next.catch(() => undefined);
    return next;
  };
  const resync = (): Promise<RepublishResult> =>
    enqueue(async () => {
      const result = await republish(false);
      await options.bus.publish(configChangedTopic, {
        version: result.version,
        kind: 'snapshot',
        id: '*',
        op: 'upsert',
      });
      return result;
    });
  const removeListener =
    options.republishOnReconnect === false
      ? () => undefined
      : options.bus.onConnection((connected) => {
          if (connected) resync().catch((error: unknown) => options.onError?.(error, 'republish on reconnect'));
        });
  return {
    publish: (change) => enqueue(() => run(change)),
    republish: resync,
    async close() {
      removeListener();
      await chain;
    },
  };
}
