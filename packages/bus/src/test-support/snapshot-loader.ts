import { partitionSnapshot, type ConfigPartLoader, type Snapshot } from '@aisbf/core';

/** One committed version and whose part it touched (undefined = unknown), as the database records it. */
export interface LoggedChange {
  version: number;
  owner: string | null | undefined;
}

/**
 * A `ConfigPartLoader` over a test's snapshot ("the database"), counting what it was asked to
 * read. `changes` is the database's record of whose part each version touched; without it, what
 * changed is unknown and `changedSince` says so.
 */
export function snapshotLoader(
  read: () => Snapshot | Promise<Snapshot>,
  changes?: () => readonly LoggedChange[],
): ConfigPartLoader & { reads: { global: number; user: number; users: number; changedSince: number } } {
  const reads = { global: 0, user: 0, users: 0, changedSince: 0 };
  return {
    reads,
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
    async users(select) {
      reads.users += 1;
      const snapshot = await read();
      const parts = new Map(partitionSnapshot(snapshot).users.map((u) => [u.user.id, u]));
      const all = snapshot.users.map((u) => u.id).sort();
      const ids = 'ids' in select ? [...select.ids] : all.filter((id) => id > select.after).slice(0, select.limit);
      const next = 'ids' in select || ids.length < select.limit ? null : (ids.at(-1) ?? null);
      return {
        version: snapshot.version,
        createdAt: snapshot.createdAt,
        parts: ids.map((userId) => ({ userId, part: parts.get(userId) ?? null })),
        next,
      };
    },
    async changedSince(after) {
      reads.changedSince += 1;
      const snapshot = await read();
      const known = { version: snapshot.version, createdAt: snapshot.createdAt };
      if (changes === undefined || after > snapshot.version) return { ...known, owners: null };
      const since = changes().filter((c) => c.version > after);
      if (since.some((c) => c.owner === undefined)) return { ...known, owners: null };
      return { ...known, owners: [...new Set(since.map((c) => c.owner as string | null))] };
    },
  };
}
