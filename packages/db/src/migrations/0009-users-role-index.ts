import { type Kysely, type Migration } from 'kysely';

/**
 * Every boot asks whether an admin exists (`ensureAdmin`), and removing or demoting a user counts
 * the admins left. Without an index on `role` both read the whole users table, which grows with
 * sign-ups; with `(role, username)` they read the admins' index entries only, the first admin by
 * name being the first entry (docs/control-plane.md "Boot").
 */
export const usersRoleIndex0009: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createIndex('users_role_idx').ifNotExists().on('users').columns(['role', 'username']).execute();
  },
};
