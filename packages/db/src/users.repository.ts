import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Limits, Role } from '@aisbf/core';
import type { Database } from './database';
import { fromBool, readJson, toBool, writeJson } from './json-column';
import { containsText, toPage, type Page, type PageRequest } from './page-query';
import type { ApiTokenRow, UserRow } from './users.table';

export interface User {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  limits: Limits | null;
  createdAt: number;
}

export interface UserWithPassword extends User {
  passwordHash: string | null;
}

export const toUser = (row: UserRow): User => ({
  id: row.id,
  username: row.username,
  role: row.role,
  disabled: toBool(row.disabled),
  limits: (readJson(row.limits) as Limits | null) ?? null,
  createdAt: Number(row.created_at),
});

export interface NewUser {
  username: string;
  passwordHash: string | null;
  role: Role;
  limits?: Limits | null;
  now: number;
}

export async function insertUser(db: Kysely<Database>, input: NewUser): Promise<User> {
  const row: UserRow = {
    id: randomUUID(),
    username: input.username,
    password_hash: input.passwordHash,
    role: input.role,
    disabled: 0,
    limits: writeJson(input.limits),
    created_at: input.now,
    updated_at: input.now,
  };
  await db.insertInto('users').values(row).execute();
  return toUser(row);
}

export async function findUserByUsername(
  db: Kysely<Database>,
  username: string,
): Promise<UserWithPassword | undefined> {
  const row = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  // MariaDB's collation matches `ALICE `, `alicé` to alice: only the exact name is that user.
  return row === undefined || row.username !== username
    ? undefined
    : { ...toUser(row), passwordHash: row.password_hash };
}

export async function findUserById(db: Kysely<Database>, id: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toUser(row);
}

/** Ids per query: an `IN` list the primary key answers with point reads. */
const IDS_PER_QUERY = 200;

/**
 * The usernames of these user ids (those that exist), read by primary key in chunks: a page of
 * requests names its users without reading a table that grows with sign-ups.
 */
export async function findUsernames(db: Kysely<Database>, ids: Iterable<string>): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  const names = new Map<string, string>();
  for (let i = 0; i < unique.length; i += IDS_PER_QUERY) {
    const rows = await db
      .selectFrom('users')
      .select(['id', 'username'])
      .where('id', 'in', unique.slice(i, i + IDS_PER_QUERY))
      .execute();
    for (const r of rows) names.set(r.id, r.username);
  }
  return names;
}

export async function listUsers(db: Kysely<Database>): Promise<User[]> {
  const rows = await db.selectFrom('users').selectAll().orderBy('username').execute();
  return rows.map(toUser);
}

/** The query of `pageUsers` (the tests EXPLAIN it): the unique index on username, in order. */
export function pageUsersQuery(db: Kysely<Database>, page: PageRequest) {
  let query = db.selectFrom('users').selectAll();
  if (page.after !== undefined) query = query.where('username', '>', page.after);
  if (page.search) query = query.where(containsText('username', page.search));
  return query.orderBy('username').limit(page.limit + 1);
}

/** One page of users by username, optionally those whose name contains `search`. */
export async function pageUsers(db: Kysely<Database>, page: PageRequest): Promise<Page<User>> {
  const rows = await pageUsersQuery(db, page).execute();
  const result = toPage(rows, page.limit, (r) => r.username);
  return { items: result.items.map(toUser), nextAfter: result.nextAfter };
}

export interface UserChanges {
  passwordHash?: string | null;
  role?: Role;
  disabled?: boolean;
  limits?: Limits | null;
}

export async function updateUser(
  db: Kysely<Database>,
  id: string,
  changes: UserChanges,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({
      updated_at: now,
      ...(changes.passwordHash !== undefined ? { password_hash: changes.passwordHash } : {}),
      ...(changes.role !== undefined ? { role: changes.role } : {}),
      ...(changes.disabled !== undefined ? { disabled: fromBool(changes.disabled) } : {}),
      ...(changes.limits !== undefined ? { limits: writeJson(changes.limits) } : {}),
    })
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Deletes the user and, by cascade, their tokens, providers, rotations and autoselects. */
export async function deleteUser(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/**
 * The first admin by username: a range read of the `(role, username)` index that stops at one row
 * (migration 0009), so every boot's bootstrap check costs the same with 100,000 users as with one.
 */
export function findFirstAdminQuery(db: Kysely<Database>) {
  return db.selectFrom('users').selectAll().where('role', '=', 'admin').orderBy('username').limit(1);
}

export async function findFirstAdmin(db: Kysely<Database>): Promise<User | undefined> {
  const row = await findFirstAdminQuery(db).executeTakeFirst();
  return row === undefined ? undefined : toUser(row);
}

export async function countUsers(db: Kysely<Database>, role?: Role): Promise<number> {
  let query = db.selectFrom('users').select((eb) => eb.fn.countAll().as('n'));
  if (role !== undefined) query = query.where('role', '=', role);
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.n);
}

// ---- API tokens -----------------------------------------------------------------------------

export interface ApiToken {
  id: string;
  userId: string;
  name: string;
  hash: string;
  hint: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
  limits: Limits | null;
}

const nullableNumber = (value: number | null): number | null => (value === null ? null : Number(value));

export const toApiToken = (row: ApiTokenRow): ApiToken => ({
  id: row.id,
  userId: row.user_id,
  name: row.name,
  hash: row.hash,
  hint: row.hint,
  createdAt: Number(row.created_at),
  expiresAt: nullableNumber(row.expires_at),
  revokedAt: nullableNumber(row.revoked_at),
  lastUsedAt: nullableNumber(row.last_used_at),
  limits: (readJson(row.limits) as Limits | null) ?? null,
});

export interface NewApiToken {
  userId: string;
  name: string;
  /** SHA-256 hex of the plaintext (hashApiToken); the plaintext never reaches this layer. */
  hash: string;
  hint: string;
  expiresAt: number | null;
  limits?: Limits | null;
  now: number;
}

export async function insertApiToken(db: Kysely<Database>, input: NewApiToken): Promise<ApiToken> {
  if (!/^[0-9a-f]{64}$/.test(input.hash))
    throw new Error('insertApiToken expects a lowercase hex SHA-256 hash, not a token');
  const row: ApiTokenRow = {
    id: randomUUID(),
    user_id: input.userId,
    name: input.name,
    hash: input.hash,
    hint: input.hint,
    created_at: input.now,
    expires_at: input.expiresAt,
    revoked_at: null,
    last_used_at: null,
    limits: writeJson(input.limits),
  };
  await db.insertInto('api_tokens').values(row).execute();
  return toApiToken(row);
}

export async function listApiTokens(db: Kysely<Database>, userId: string): Promise<ApiToken[]> {
  const rows = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toApiToken);
}

export async function findApiTokenById(db: Kysely<Database>, id: string): Promise<ApiToken | undefined> {
  const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toApiToken(row);
}

export async function findApiTokenByHash(db: Kysely<Database>, hash: string): Promise<ApiToken | undefined> {
  const row = await db.selectFrom('api_tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
  return row === undefined ? undefined : toApiToken(row);
}

export async function revokeApiToken(db: Kysely<Database>, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function touchApiToken(db: Kysely<Database>, id: string, now: number): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
}

/** Replaces a token's own limits (null clears them); false when no such token. */
export async function setApiTokenLimits(db: Kysely<Database>, id: string, limits: Limits | null): Promise<boolean> {
  const result = await db
    .updateTable('api_tokens')
    .set({ limits: writeJson(limits) })
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
