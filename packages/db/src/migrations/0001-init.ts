import { type Kysely, type Migration } from 'kysely';

/**
 * Initial schema. Written once for both dialects: only types both understand (varchar, text,
 * integer, bigint), no RETURNING, no auto-increment ids. MySQL has no transactional DDL, so each
 * statement stands alone and is safe to re-run after a crash (`ifNotExists`).
 */
export const init0001: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('users')
      .ifNotExists()
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('username', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('password_hash', 'varchar(255)')
      .addColumn('role', 'varchar(16)', (c) => c.notNull())
      .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('limits', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('api_tokens')
      .ifNotExists()
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('name', 'varchar(100)', (c) => c.notNull())
      .addColumn('hash', 'char(64)', (c) => c.notNull().unique())
      .addColumn('hint', 'varchar(32)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .addColumn('last_used_at', 'bigint')
      .addColumn('limits', 'text')
      .execute();
    await db.schema.createIndex('api_tokens_user_idx').ifNotExists().on('api_tokens').column('user_id').execute();

    await db.schema
      .createTable('providers')
      .ifNotExists()
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('owner_id', 'varchar(36)', (c) => c.references('users.id').onDelete('cascade'))
      .addColumn('owner_key', 'varchar(36)', (c) => c.notNull())
      .addColumn('slug', 'varchar(64)', (c) => c.notNull())
      .addColumn('type', 'varchar(32)', (c) => c.notNull())
      .addColumn('endpoint', 'varchar(2048)', (c) => c.notNull())
      .addColumn('api_key_enc', 'text')
      .addColumn('api_key_hint', 'varchar(32)')
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('admin_only', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('settings', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('providers_owner_slug_uq', ['owner_key', 'slug'])
      .execute();

    await db.schema
      .createTable('provider_models')
      .ifNotExists()
      .addColumn('provider_id', 'varchar(36)', (c) => c.notNull().references('providers.id').onDelete('cascade'))
      .addColumn('name', 'varchar(256)', (c) => c.notNull())
      .addColumn('context_window', 'integer')
      .addColumn('prefill', 'integer')
      .addColumn('pricing', 'text')
      .addColumn('defaults', 'text')
      .addColumn('source', 'varchar(16)', (c) => c.notNull())
      .addColumn('discovered_at', 'bigint')
      .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('provider_models_pk', ['provider_id', 'name'])
      .execute();

    await db.schema
      .createTable('provider_health')
      .ifNotExists()
      .addColumn('provider_id', 'varchar(36)', (c) => c.primaryKey().references('providers.id').onDelete('cascade'))
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('checked_at', 'bigint', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('latency_ms', 'integer')
      .execute();

    for (const table of ['rotations', 'autoselects'] as const) {
      await db.schema
        .createTable(table)
        .ifNotExists()
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('owner_id', 'varchar(36)', (c) => c.references('users.id').onDelete('cascade'))
        .addColumn('owner_key', 'varchar(36)', (c) => c.notNull())
        .addColumn('slug', 'varchar(64)', (c) => c.notNull())
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint(`${table}_owner_slug_uq`, ['owner_key', 'slug'])
        .execute();
    }

    await db.schema
      .createTable('config_version')
      .ifNotExists()
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('version', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    // The single row; ignore when a crashed earlier run already inserted it.
    await (db as Kysely<{ config_version: { id: number; version: number; updated_at: number } }>)
      .insertInto('config_version')
      .orIgnore()
      .values({ id: 1, version: 0, updated_at: 0 })
      .execute();

    await db.schema
      .createTable('usage_records')
      .ifNotExists()
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('request_id', 'varchar(128)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('user_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('token_id', 'varchar(36)')
      .addColumn('route', 'varchar(400)', (c) => c.notNull())
      .addColumn('provider', 'varchar(64)')
      .addColumn('provider_owner_id', 'varchar(36)')
      .addColumn('model', 'varchar(256)')
      .addColumn('endpoint', 'varchar(32)', (c) => c.notNull())
      .addColumn('stream', 'integer', (c) => c.notNull())
      .addColumn('status', 'integer', (c) => c.notNull())
      .addColumn('outcome', 'varchar(32)', (c) => c.notNull())
      .addColumn('prompt_tokens', 'integer', (c) => c.notNull())
      .addColumn('completion_tokens', 'integer', (c) => c.notNull())
      .addColumn('estimated', 'integer', (c) => c.notNull())
      .addColumn('latency_ms', 'integer', (c) => c.notNull())
      .addColumn('ttfb_ms', 'integer')
      .addColumn('attempts', 'text', (c) => c.notNull())
      .addColumn('autoselect_reason', 'varchar(32)')
      .addColumn('cost_micros', 'bigint')
      .addColumn('cache_hit', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    // Usage is queried by time range, globally or for one user or token.
    await db.schema.createIndex('usage_created_idx').ifNotExists().on('usage_records').column('created_at').execute();
    await db.schema
      .createIndex('usage_user_created_idx')
      .ifNotExists()
      .on('usage_records')
      .columns(['user_id', 'created_at'])
      .execute();
    await db.schema
      .createIndex('usage_token_created_idx')
      .ifNotExists()
      .on('usage_records')
      .columns(['token_id', 'created_at'])
      .execute();
  },
};
