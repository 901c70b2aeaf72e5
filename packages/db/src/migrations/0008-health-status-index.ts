import { type Kysely, type Migration } from 'kysely';

/**
 * The periodic health run looks up the providers still carrying a verdict (`status <> 'unknown'`,
 * docs/jobs.md "Only what is used") every minute. Health rows stay once a provider was judged,
 * so without an index that lookup reads a row for every provider ever used; with it, only the
 * marked ones (the index holds the row id, so the table is not read).
 */
export const healthStatusIndex0008: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createIndex('provider_health_status_idx')
      .ifNotExists()
      .on('provider_health')
      .columns(['status', 'provider_id'])
      .execute();
    await db.schema
      .createIndex('provider_model_health_status_idx')
      .ifNotExists()
      .on('provider_model_health')
      .columns(['status', 'provider_id'])
      .execute();
  },
};
