import type { Kysely } from 'kysely';
import type { ConfigPartLoader, GlobalPart, UserPart } from '@aisbf/core';
import { getConfigVersion } from './config-version.repository';
import type { Database } from './database';
import {
  loadOwnedResources,
  loadSnapshot,
  toSnapshotToken,
  toSnapshotUser,
  type LoadSnapshotOptions,
} from './load-snapshot';
import { toApiToken, toUser } from './users.repository';

/**
 * The global part of the snapshot (docs/cluster.md "Partitioned propagation"): the admin-owned
 * resources, read by owner index in one read transaction. Its version is the committed config version.
 */
export async function loadGlobalPart(db: Kysely<Database>, options: LoadSnapshotOptions = {}): Promise<GlobalPart> {
  const read = async (trx: Kysely<Database>): Promise<GlobalPart> => {
    const { version, updatedAt } = await getConfigVersion(trx);
    return { version, createdAt: updatedAt, ...(await loadOwnedResources(trx, null, options)) };
  };
  return db.isTransaction ? read(db) : db.transaction().execute(read);
}

/**
 * One user's part: the user, its live tokens and its own resources, read by primary key and the
 * owner indexes (no scan of other users). Null when the user does not exist or is disabled: the
 * data plane then holds nothing of them, as the whole snapshot never did.
 */
export async function loadUserPart(
  db: Kysely<Database>,
  userId: string,
  options: LoadSnapshotOptions = {},
): Promise<{ version: number; createdAt: number; part: UserPart | null }> {
  const read = async (
    trx: Kysely<Database>,
  ): Promise<{ version: number; createdAt: number; part: UserPart | null }> => {
    const { version, updatedAt: createdAt } = await getConfigVersion(trx);
    const row = await trx.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
    const user = row === undefined ? undefined : toUser(row);
    if (user === undefined || user.disabled) return { version, createdAt, part: null };
    const tokenRows = await trx
      .selectFrom('api_tokens')
      .selectAll()
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .orderBy('id')
      .execute();
    return {
      version,
      createdAt,
      part: {
        version,
        user: toSnapshotUser(user),
        tokens: tokenRows.map((t) => toSnapshotToken(toApiToken(t))),
        ...(await loadOwnedResources(trx, userId, options)),
      },
    };
  };
  return db.isTransaction ? read(db) : db.transaction().execute(read);
}

/** The control plane's reader of committed parts (core's `ConfigPartLoader`) over one database. */
export function configPartLoader(db: Kysely<Database>, options: LoadSnapshotOptions = {}): ConfigPartLoader {
  return {
    snapshot: () => loadSnapshot(db, options),
    global: () => loadGlobalPart(db, options),
    user: (userId) => loadUserPart(db, userId, options),
  };
}
