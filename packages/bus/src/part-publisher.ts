import { GLOBAL_PART, partKeyOf, type ConfigChange, type ConfigPartLoader, type PartKey } from '@aisbf/core';
import type { Bus } from './bus';
import type { PartStore } from './part-store';
import { configChangedTopic } from './topics';

/** Structurally the control plane's `ConfigPublisher` port. */
export interface PartPublisher {
  publish(change: ConfigChange): Promise<void>;
  /**
   * Stores every part and announces a full republish (`kind: 'snapshot'`). Call at boot; it also
   * runs on every bus reconnect, because a restarted Redis (no persistence) comes back empty.
   */
  republish(): Promise<void>;
  close(): Promise<void>;
}

export interface PartPublisherOptions {
  bus: Bus;
  store: PartStore;
  /** Reads committed parts (`configPartLoader(db)` from @aisbf/db). */
  load: ConfigPartLoader;
  /** Default true. */
  republishOnReconnect?: boolean;
  onError?: (error: unknown, context: string) => void;
}

/** Parts stored recently, by version: the other changes of one commit need no second read. */
const STORED_MEMO = 1_000;

/**
 * Control-plane side of docs/cluster.md "Partitioned propagation": after a commit, read only the
 * part the change touched (one user's rows by index, or the global rows), store it with its log
 * entry, then announce. Storing first matters: a node that hears the announcement finds that
 * version (or a newer one) in the store. Publishes are serialised so announcements leave in
 * version order. A change that names no owner rewrites every part.
 */
export function createPartPublisher(options: PartPublisherOptions): PartPublisher {
  const { store, load } = options;
  let chain: Promise<void> = Promise.resolve();
  let stored = new Map<PartKey, number>();
  const remember = (key: PartKey, version: number): void => {
    if (stored.size >= STORED_MEMO) stored = new Map();
    stored.set(key, Math.max(version, stored.get(key) ?? -1));
  };
  /** Writes the part and returns the version it was read at (later commits may be in it). */
  const storePart = async (key: PartKey, ownerId: string | null): Promise<number> => {
    if (ownerId === null) {
      const global = await load.global();
      await store.write(global.version, global.createdAt, { key: GLOBAL_PART, part: global });
      return global.version;
    }
    const read = await load.user(ownerId);
    await store.write(read.version, read.createdAt, { key: key as `user:${string}`, part: read.part });
    return read.version;
  };
  const republish = async (): Promise<number> => {
    const snapshot = await load.snapshot();
    await store.put(snapshot);
    stored = new Map();
    return snapshot.version;
  };
  const run = async (change: ConfigChange): Promise<void> => {
    let version = change.version;
    if (change.kind === 'snapshot' || change.owner === undefined) version = Math.max(version, await republish());
    else {
      const key = partKeyOf(change.owner);
      if ((stored.get(key) ?? -1) < change.version) {
        const read = await storePart(key, change.owner);
        remember(key, read);
        version = Math.max(version, read);
      } else version = Math.max(version, stored.get(key) ?? -1);
    }
    // The part read after the commit may already hold later commits: announce what was stored.
    await options.bus.publish(configChangedTopic, { ...change, version });
  };
  const enqueue = (change: ConfigChange | null): Promise<void> => {
    const next = chain.then(async () => {
      if (change) return run(change);
      const version = await republish();
      await options.bus.publish(configChangedTopic, { version, kind: 'snapshot', id: '*', op: 'upsert' });
    });
    chain = next.catch(() => undefined);
    return next;
  };
  const removeListener =
    options.republishOnReconnect === false
      ? () => undefined
      : options.bus.onConnection((connected) => {
          if (connected) enqueue(null).catch((error: unknown) => options.onError?.(error, 'republish on reconnect'));
        });
  return {
    publish: (change) => enqueue(change),
    republish: () => enqueue(null),
    async close() {
      removeListener();
      await chain;
    },
  };
}
