import { type Kysely, type Migration } from 'kysely';

/**
 * Whose config part each committed version touched (docs/cluster.md "Control-plane cost"): the
 * control plane's boot re-stores only the parts changed since the version Redis is known to hold,
 * instead of every user's.
 */
export const configChanges0005: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('config_changes')
      .ifNotExists()
      .addColumn('version', 'bigint', (c) => c.notNull())
      // '' = the global part, '*' = unknown (every part), else the user id.
      .addColumn('owner_key', 'varchar(36)', (c) => c.notNull())
      .addPrimaryKeyConstraint('config_changes_pk', ['version', 'owner_key'])
      .execute();
  },
};
