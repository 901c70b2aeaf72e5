import type { ConfigChange, Snapshot } from '@aisbf/core';
import type { Bus } from './bus';
import type { SnapshotStore } from './snapshot-store';
import { configChangedTopic } from './topics';

/** Structurally the control plane's `ConfigPublisher` port. */
export interface SnapshotPublisher {
  publish(change: ConfigChange): Promise<void>;
  /**
   * Stores and announces the current snapshot as a whole (`kind: 'snapshot'`). Call at boot; it
   * also runs on every bus reconnect, because a restarted Redis (no persistence) comes back empty.
   */
  republish(): Promise<void>;
  close(): Promise<void>;
}

export interface SnapshotPublisherOptions {
  bus: Bus;
  store: SnapshotStore;
  /** Reads the committed snapshot (`loadSnapshot(db)` from @aisbf/db). */
  loadSnapshot: () => Promise<Snapshot>;
  /** Default true. */
  republishOnReconnect?: boolean;
  onError?: (error: unknown, context: string) => void;
}

/**
 * Control-plane side of docs/architecture.md "Propagation": after a commit, store the full snapshot, then announce the
 * change. Storing first matters: a node that hears the announcement must find that version (or a
 * newer one) in the store. Publishes are serialised so announcements leave in version order.
 */
export function createSnapshotPublisher(options: SnapshotPublisherOptions): SnapshotPublisher {
  let chain: Promise<void> = Promise.resolve();
  /** Highest version this publisher has stored: later changes of the same commit need no reload. */
  let storedVersion = -1;
  const run = async (change: ConfigChange): Promise<void> => {
    if (change.version > storedVersion) {
      const snapshot = await options.loadSnapshot();
      await options.store.put(snapshot);
      storedVersion = Math.max(storedVersion, snapshot.version);
    }
    // The snapshot read after the commit may already hold later commits: announce what was stored.
    const version = Math.max(change.version, storedVersion);
    await options.bus.publish(configChangedTopic, { ...change, version });
  };
  const enqueue = (change: ConfigChange | null): Promise<void> => {
    const next = chain.then(async () => {
      if (change) return run(change);
      const snapshot = await options.loadSnapshot();
      await options.store.put(snapshot);
      storedVersion = Math.max(storedVersion, snapshot.version);
      await options.bus.publish(configChangedTopic, {
        version: snapshot.version,
        kind: 'snapshot',
        id: '*',
        op: 'upsert',
      });
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
