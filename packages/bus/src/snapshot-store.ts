import type { Snapshot } from '@aisbf/core';

/**
 * Where the newest full snapshot is kept for data-plane nodes (docs/architecture.md "Propagation"). Writes only move
 * forward: a `put` older than what is stored is ignored, so two control-plane replicas racing
 * each other cannot roll the cluster back.
 */
export interface SnapshotStore {
  /** Stores `snapshot` if newer than the stored one; true when it was stored. */
  put(snapshot: Snapshot): Promise<boolean>;
  get(): Promise<Snapshot | null>;
  /** The stored version without transferring the snapshot (cheap periodic check). */
  version(): Promise<number | null>;
  /** True while the store can be read. */
  connected(): boolean;
  close(): Promise<void>;
}

/** All-in-one mode: the snapshot lives in this process. */
export function createMemorySnapshotStore(): SnapshotStore {
  let current: Snapshot | null = null;
  return {
    async put(snapshot) {
      if (current && current.version >= snapshot.version) return false;
      current = snapshot;
      return true;
    },
    get: async () => current,
    version: async () => current?.version ?? null,
    connected: () => true,
    close: async () => undefined,
  };
}
