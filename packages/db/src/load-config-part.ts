import type { Kysely } from 'kysely';
import type { ConfigPartLoader, GlobalPart, UserPart } from '@aisbf/core';
import { configChangesSince, getConfigVersion } from './config-version.repository';
import type { Database } from './database';
import { loadOwnedResources, toSnapshotToken, toSnapshotUser, type LoadSnapshotOptions } from './load-snapshot';
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

/** Parts of several users, read in one transaction (a full republish's page, or the users a boot found changed). */
export interface UserPartsRead {
  version: number;
  createdAt: number;
  /** In `select`'s order: by id for a page, as given for ids. `part` null: missing or disabled. */
  parts: Array<{ userId: string; part: UserPart | null }>;
  /** The `after` of the next page; null after the last (always null for ids). */
  next: string | null;
}

/**
 * The parts of a page of users by id (`{after, limit}`: the primary key in order) or of the users
 * `ids`, with their tokens and resources by the owner indexes (`IN` the page's ids): a few
 * queries a page, whatever the number of users, so a full republish reads the database in pages
 * instead of one whole snapshot (docs/cluster.md "Control-plane cost").
 */
export async function loadUserParts(
  db: Kysely<Database>,
  select: { after: string; limit: number } | { ids: ReadonlyArray<string> },
  options: LoadSnapshotOptions = {},
): Promise<UserPartsRead> {
  const read = async (trx: Kysely<Database>): Promise<UserPartsRead> => {
    const { version, updatedAt: createdAt } = await getConfigVersion(trx);
    let query = trx.selectFrom('users').selectAll();
    if ('ids' in select) {
      if (select.ids.length === 0) return { version, createdAt, parts: [], next: null };
      query = query.where('id', 'in', select.ids);
    } else query = query.where('id', '>', select.after).orderBy('id').limit(select.limit);
    const rows = await query.execute();
    const users = rows.map(toUser).filter((u) => !u.disabled);
    const live = users.map((u) => u.id);
    const tokenRows =
      live.length === 0
        ? []
        : await trx
            .selectFrom('api_tokens')
            .selectAll()
            .where('user_id', 'in', live)
            .where('revoked_at', 'is', null)
            .orderBy('id')
            .execute();
    const resources = await loadOwnedResources(trx, live, options);
    const byUser = new Map<string, UserPart>();
    for (const user of users)
      byUser.set(user.id, {
        version,
        user: toSnapshotUser(user),
        tokens: [],
        providers: [],
        rotations: [],
        autoselects: [],
      });
    for (const t of tokenRows) byUser.get(t.user_id)?.tokens.push(toSnapshotToken(toApiToken(t)));
    for (const p of resources.providers) byUser.get(p.ownerId ?? '')?.providers.push(p);
    for (const r of resources.rotations) byUser.get(r.ownerId ?? '')?.rotations.push(r);
    for (const a of resources.autoselects) byUser.get(a.ownerId ?? '')?.autoselects.push(a);
    const ids = 'ids' in select ? [...new Set(select.ids)] : rows.map((r) => r.id);
    const next = 'ids' in select || rows.length < select.limit ? null : (rows.at(-1)?.id ?? null);
    return { version, createdAt, parts: ids.map((userId) => ({ userId, part: byUser.get(userId) ?? null })), next };
  };
  return db.isTransaction ? read(db) : db.transaction().execute(read);
}

/** The control plane's reader of committed parts (core's `ConfigPartLoader`) over one database. */
export function configPartLoader(db: Kysely<Database>, options: LoadSnapshotOptions = {}): ConfigPartLoader {
  return {
    global: () => loadGlobalPart(db, options),
    user: (userId) => loadUserPart(db, userId, options),
    users: (select) => loadUserParts(db, select, options),
    changedSince: (version) => configChangesSince(db, version),
  };
}
