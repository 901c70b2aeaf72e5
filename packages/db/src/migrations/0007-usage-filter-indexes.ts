import { type Kysely, type Migration } from 'kysely';

/**
 * The requests view's route and provider filters read an index of their own, newest first
 * (docs/dashboard.md "Lists at scale"): without one, an admin's filter on a route few requests used
 * walked the whole time index, reading each row, to fill a page. The keyset's `id` tie-breaker rides
 * along: InnoDB's secondary indexes end with the primary key.
 */
export const usageFilterIndexes0007: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createIndex('usage_route_created_idx')
      .ifNotExists()
      .on('usage_records')
      .columns(['route', 'created_at'])
      .execute();
    await db.schema
      .createIndex('usage_provider_created_idx')
      .ifNotExists()
      .on('usage_records')
      .columns(['provider', 'created_at'])
      .execute();
  },
};
