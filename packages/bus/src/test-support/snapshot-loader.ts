import { partitionSnapshot, type ConfigPartLoader, type Snapshot } from '@aisbf/core';

/** A `ConfigPartLoader` over a test's snapshot ("the database"), counting what it was asked to read. */
export function snapshotLoader(
  read: () => Snapshot | Promise<Snapshot>,
): ConfigPartLoader & { reads: { snapshot: number; global: number; user: number } } {
  const reads = { snapshot: 0, global: 0, user: 0 };
  return {
    reads,
    async snapshot() {
      reads.snapshot += 1;
      return read();
    },
    async global() {
      reads.global += 1;
      return partitionSnapshot(await read()).global;
    },
    async user(userId) {
      reads.user += 1;
      const snapshot = await read();
      const part = partitionSnapshot(snapshot).users.find((u) => u.user.id === userId) ?? null;
      return { version: snapshot.version, createdAt: snapshot.createdAt, part };
    },
  };
}
