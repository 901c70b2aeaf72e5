import { type Kysely, type Migration } from 'kysely';
import type { Database } from '../database';
import { addUsageHourly, aggregateUsageRows } from '../usage-aggregates';

/**
 * Hourly usage aggregates, so month-scale queries read hours instead of raw rows, and raw rows can
 * be pruned (retention) without losing totals. Backfills from the raw rows already stored.
 */
export const usageAggregates0002: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('usage_hourly')
      .ifNotExists()
      .addColumn('bucket', 'bigint', (c) => c.notNull())
      .addColumn('dims_key', 'char(64)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('token_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('route', 'varchar(400)', (c) => c.notNull())
      .addColumn('provider', 'varchar(64)', (c) => c.notNull())
      .addColumn('model', 'varchar(256)', (c) => c.notNull())
      .addColumn('status_class', 'integer', (c) => c.notNull())
      .addColumn('requests', 'bigint', (c) => c.notNull())
      .addColumn('errors', 'bigint', (c) => c.notNull())
      .addColumn('prompt_tokens', 'bigint', (c) => c.notNull())
      .addColumn('completion_tokens', 'bigint', (c) => c.notNull())
      .addColumn('cost_micros', 'bigint', (c) => c.notNull())
      .addColumn('priced_requests', 'bigint', (c) => c.notNull())
      .addColumn('unpriced_requests', 'bigint', (c) => c.notNull())
      .addColumn('latency_ms_sum', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('usage_hourly_pk', ['bucket', 'dims_key'])
      .execute();
    // Per-user and per-token views filter on these first, then range over hours.
    await db.schema
      .createIndex('usage_hourly_user_idx')
      .ifNotExists()
      .on('usage_hourly')
      .columns(['user_id', 'bucket'])
      .execute();
    await db.schema
      .createIndex('usage_hourly_token_idx')
      .ifNotExists()
      .on('usage_hourly')
      .columns(['token_id', 'bucket'])
      .execute();

    // Covering index for per-model series (the dashboard's default view): read in (hour, model) order.
    await db.schema
      .createIndex('usage_hourly_model_idx')
      .ifNotExists()
      .on('usage_hourly')
      .columns([
        'bucket',
        'model',
        'requests',
        'errors',
        'prompt_tokens',
        'completion_tokens',
        'cost_micros',
        'priced_requests',
        'unpriced_requests',
      ])
      .execute();

    // Backfill page by page (ids are unique, ordered by id): memory stays bounded on large tables.
    const typed = db as Kysely<Database>;
    // A crashed earlier run may have backfilled part: start over (no writer adds hours before migrations finish).
    await typed.withTables<{ usage_hourly: { bucket: number } }>().deleteFrom('usage_hourly').execute();
    let after = '';
    for (;;) {
      const page = await typed
        .selectFrom('usage_records')
        .selectAll()
        .where('id', '>', after)
        .orderBy('id')
        .limit(5000)
        .execute();
      if (page.length === 0) break;
      await addUsageHourly(typed, aggregateUsageRows(page));
      after = page[page.length - 1]!.id;
    }
  },
};
