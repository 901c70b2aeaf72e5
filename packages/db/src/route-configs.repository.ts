import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './database';
import { selectByKeys, type ScopedKey } from './find-by-keys';
import { readJson } from './json-column';
import { ownerKey } from './providers.repository';
import type { RouteConfigRow, RouteConfigTableName } from './route-configs.table';

/** A rotation or autoselect with its config exactly as the user wrote it. */
export interface StoredRouteConfig {
  rowId: string;
  ownerId: string | null;
  id: string;
  config: unknown;
  createdAt: number;
  updatedAt: number;
}

const toStored = (row: RouteConfigRow): StoredRouteConfig => ({
  rowId: row.id,
  ownerId: row.owner_id,
  id: row.slug,
  config: readJson(row.config),
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

/** `ownerId` undefined = every scope; null = global only; a user id = that user's only. */
export async function listRouteConfigs(
  db: Kysely<Database>,
  table: RouteConfigTableName,
  ownerId?: string | null | ReadonlyArray<string>,
): Promise<StoredRouteConfig[]> {
  let query = db.selectFrom(table).selectAll();
  if (Array.isArray(ownerId)) {
    if (ownerId.length === 0) return [];
    query = query.where('owner_key', 'in', ownerId);
  } else if (ownerId !== undefined) query = query.where('owner_key', '=', ownerKey(ownerId as string | null));
  const rows = await query.orderBy('owner_key').orderBy('slug').execute();
  return rows.map(toStored);
}

/** The rotations or autoselects of these `(owner, slug)` keys that exist. */
export async function findRouteConfigsByKeys(
  db: Kysely<Database>,
  table: RouteConfigTableName,
  keys: ReadonlyArray<ScopedKey>,
): Promise<StoredRouteConfig[]> {
  return (await selectByKeys(db, table, keys)).map(toStored);
}

export async function findRouteConfig(
  db: Kysely<Database>,
  table: RouteConfigTableName,
  ownerId: string | null,
  id: string,
): Promise<StoredRouteConfig | undefined> {
  const row = await db
    .selectFrom(table)
    .selectAll()
    .where('owner_key', '=', ownerKey(ownerId))
    .where('slug', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : toStored(row);
}

/** Stores `config` verbatim (JSON.stringify of what the user sent). */
export async function upsertRouteConfig(
  db: Kysely<Database>,
  table: RouteConfigTableName,
  input: { ownerId: string | null; id: string; config: unknown },
  now: number,
): Promise<{ item: StoredRouteConfig; created: boolean }> {
  const text = JSON.stringify(input.config);
  const existing = await db
    .selectFrom(table)
    .select('id')
    .where('owner_key', '=', ownerKey(input.ownerId))
    .where('slug', '=', input.id)
    .executeTakeFirst();
  if (existing === undefined) {
    const row: RouteConfigRow = {
      id: randomUUID(),
      owner_id: input.ownerId,
      owner_key: ownerKey(input.ownerId),
      slug: input.id,
      config: text,
      created_at: now,
      updated_at: now,
    };
    await db.insertInto(table).values(row).execute();
    return { item: toStored(row), created: true };
  }
  await db.updateTable(table).set({ config: text, updated_at: now }).where('id', '=', existing.id).execute();
  const item = await findRouteConfig(db, table, input.ownerId, input.id);
  if (item === undefined) throw new Error(`${table} row vanished during upsert`);
  return { item, created: false };
}

export async function deleteRouteConfig(
  db: Kysely<Database>,
  table: RouteConfigTableName,
  ownerId: string | null,
  id: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom(table)
    .where('owner_key', '=', ownerKey(ownerId))
    .where('slug', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

// Named helpers so callers read as the domain, not the table.
export const listRotations = (db: Kysely<Database>, ownerId?: string | null) =>
  listRouteConfigs(db, 'rotations', ownerId);
export const findRotation = (db: Kysely<Database>, ownerId: string | null, id: string) =>
  findRouteConfig(db, 'rotations', ownerId, id);
export const upsertRotation = (
  db: Kysely<Database>,
  input: { ownerId: string | null; id: string; config: unknown },
  now: number,
) => upsertRouteConfig(db, 'rotations', input, now);
export const deleteRotation = (db: Kysely<Database>, ownerId: string | null, id: string) =>
  deleteRouteConfig(db, 'rotations', ownerId, id);
export const findAutoselect = (db: Kysely<Database>, ownerId: string | null, id: string) =>
  findRouteConfig(db, 'autoselects', ownerId, id);
export const upsertAutoselect = (
  db: Kysely<Database>,
  input: { ownerId: string | null; id: string; config: unknown },
  now: number,
) => upsertRouteConfig(db, 'autoselects', input, now);
export const deleteAutoselect = (db: Kysely<Database>, ownerId: string | null, id: string) =>
  deleteRouteConfig(db, 'autoselects', ownerId, id);
