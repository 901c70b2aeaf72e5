import type { ConfigParts } from './ports';
import type {
  Snapshot,
  SnapshotAutoselect,
  SnapshotProvider,
  SnapshotRotation,
  SnapshotToken,
  SnapshotUser,
} from './snapshot';

/**
 * The snapshot cut into parts (docs/cluster.md "Partitioned propagation"): one global part (the
 * admin-owned, `ownerId: null` resources every user may route to) and one part per user (the
 * user, its live tokens and its own resources). A commit rewrites only the parts it touched, and
 * a data-plane node holds the global part plus the parts of the users it serves.
 * Each part carries the config version of the commit that last wrote it.
 */
export interface GlobalPart {
  version: number;
  /** Epoch ms when `version` was committed. */
  createdAt: number;
  providers: SnapshotProvider[];
  rotations: SnapshotRotation[];
  autoselects: SnapshotAutoselect[];
}

export interface UserPart {
  version: number;
  user: SnapshotUser;
  tokens: SnapshotToken[];
  providers: SnapshotProvider[];
  rotations: SnapshotRotation[];
  autoselects: SnapshotAutoselect[];
}

/** `global`, or `user:<id>`: the name of a part in stores and in the change log. */
export type PartKey = 'global' | `user:${string}`;

export const GLOBAL_PART: PartKey = 'global';
export const userPartKey = (userId: string): `user:${string}` => `user:${userId}`;

/** The user id of a `user:<id>` key; null for the global part. */
export function partUserId(key: PartKey): string | null {
  return key === GLOBAL_PART ? null : key.slice('user:'.length);
}

/** The part an owner's resources live in (`ownerId` null = global). */
export const partKeyOf = (ownerId: string | null): PartKey => (ownerId === null ? GLOBAL_PART : userPartKey(ownerId));

/**
 * Splits a whole snapshot into its parts, every part at the snapshot's version. Resources of a
 * user the snapshot does not hold (disabled, deleted) belong to no part: the data plane never
 * served them either.
 */
export function partitionSnapshot(snapshot: Snapshot): { global: GlobalPart; users: UserPart[] } {
  const users = new Map<string, UserPart>();
  for (const user of snapshot.users)
    users.set(user.id, { version: snapshot.version, user, tokens: [], providers: [], rotations: [], autoselects: [] });
  const global: GlobalPart = {
    version: snapshot.version,
    createdAt: snapshot.createdAt,
    providers: [],
    rotations: [],
    autoselects: [],
  };
  for (const token of snapshot.tokens) users.get(token.userId)?.tokens.push(token);
  const place = <T extends { ownerId: string | null }>(
    items: T[],
    field: 'providers' | 'rotations' | 'autoselects',
  ) => {
    for (const item of items) {
      const owner = item.ownerId === null ? global : users.get(item.ownerId);
      (owner?.[field] as T[] | undefined)?.push(item);
    }
  };
  place(snapshot.providers, 'providers');
  place(snapshot.rotations, 'rotations');
  place(snapshot.autoselects, 'autoselects');
  return { global, users: [...users.values()] };
}

/**
 * The whole snapshot back from a global part and user parts (what `indexSnapshot` takes). Its
 * version is the highest part version, or `version` when the caller knows a newer applied one.
 */
export function assembleSnapshot(global: GlobalPart, users: Iterable<UserPart>, version?: number): Snapshot {
  const snapshot: Snapshot = {
    version: Math.max(global.version, version ?? -1),
    createdAt: global.createdAt,
    users: [],
    tokens: [],
    providers: [...global.providers],
    rotations: [...global.rotations],
    autoselects: [...global.autoselects],
  };
  for (const part of users) {
    snapshot.version = Math.max(snapshot.version, part.version);
    snapshot.users.push(part.user);
    snapshot.tokens.push(...part.tokens);
    snapshot.providers.push(...part.providers);
    snapshot.rotations.push(...part.rotations);
    snapshot.autoselects.push(...part.autoselects);
  }
  return snapshot;
}

/** Shape check of a stored part (the control plane wrote it; this guards against a foreign value). */
export function isGlobalPartShape(value: unknown): value is GlobalPart {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['version'] === 'number' &&
    ['providers', 'rotations', 'autoselects'].every((field) => Array.isArray(v[field]))
  );
}

export function isUserPartShape(value: unknown): value is UserPart {
  if (!isGlobalPartShape(value)) return false;
  const v = value as unknown as Record<string, unknown>;
  const user = v['user'] as Record<string, unknown> | null | undefined;
  return Array.isArray(v['tokens']) && typeof user === 'object' && user !== null && typeof user['id'] === 'string';
}

/** Token hashes of a part, for the token → user index. */
export const tokenHashesOf = (part: UserPart): string[] => part.tokens.map((t: SnapshotToken) => t.hash);

/**
 * A whole snapshot as `ConfigParts` with every part held (no store behind it): what a data plane
 * given one snapshot (`setSnapshot`, tests, a snapshot file) serves from.
 */
export function configPartsOf(snapshot: Snapshot): ConfigParts {
  const { global, users } = partitionSnapshot(snapshot);
  const byId = new Map(users.map((u) => [u.user.id, u] as const));
  const byHash = new Map(users.flatMap((u) => u.tokens.map((t) => [t.hash, u.user.id] as const)));
  const byName = new Map(users.map((u) => [u.user.username, u.user.id] as const));
  return {
    global: () => global,
    heldUser: (userId) => byId.get(userId),
    loadUser: async (userId) => byId.get(userId) ?? null,
    heldTokenOwner: (hash) => byHash.get(hash),
    tokenOwner: async (hash) => byHash.get(hash) ?? null,
    userIdByName: async (username) => byName.get(username) ?? null,
    version: () => snapshot.version,
    createdAt: () => snapshot.createdAt,
  };
}

/** One user's part as a snapshot of its own (what `indexSnapshot` lays over the global index). */
export function userSnapshot(part: UserPart, createdAt: number): Snapshot {
  return {
    version: part.version,
    createdAt,
    users: [part.user],
    tokens: part.tokens,
    providers: part.providers,
    rotations: part.rotations,
    autoselects: part.autoselects,
  };
}
