import { type Kysely, type Migration } from 'kysely';

/**
 * Health per provider model (one broken model no longer speaks for its provider), and the entries
 * that refused an assistant prefill, remembered across restarts in all-in-one mode.
 */
export const modelHealth0003: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('provider_model_health')
      .ifNotExists()
      .addColumn('provider_id', 'varchar(36)', (c) => c.notNull().references('providers.id').onDelete('cascade'))
      .addColumn('model', 'varchar(256)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('checked_at', 'bigint', (c) => c.notNull())
      .addColumn('error', 'text')
      .addPrimaryKeyConstraint('provider_model_health_pk', ['provider_id', 'model'])
      .execute();
    await db.schema
      .createTable('prefill_refusals')
      .ifNotExists()
      .addColumn('target_key', 'varchar(400)', (c) => c.primaryKey())
      .addColumn('refused_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
