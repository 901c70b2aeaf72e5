import type { Kysely } from 'kysely';
import type { Database } from './database';

export async function getConfigVersion(db: Kysely<Database>): Promise<{ version: number; updatedAt: number }> {
  const row = await db
    .selectFrom('config_version')
    .select(['version', 'updated_at'])
    .where('id', '=', 1)
    .executeTakeFirst();
  return row === undefined
    ? { version: 0, updatedAt: 0 }
    : { version: Number(row.version), updatedAt: Number(row.updated_at) };
}

export interface ConfigChangeResult<T> {
  value: T;
  /** The config version this change committed as. */
  version: number;
}

/**
 * Runs `fn` in a transaction that also bumps the config version (docs/architecture.md "Control plane": every committed
 * change bumps a monotonic version). The bump comes first so its row lock serializes concurrent
 * config writers on MySQL; if `fn` throws, the writes and the bump roll back together.
 */
export async function withConfigChange<T>(
  db: Kysely<Database>,
  fn: (trx: Kysely<Database>) => Promise<T>,
  options: { now?: number } = {},
): Promise<ConfigChangeResult<T>> {
  const run = async (trx: Kysely<Database>): Promise<ConfigChangeResult<T>> => {
    const now = options.now ?? Date.now();
    await trx
      .updateTable('config_version')
      .set((eb) => ({ version: eb('version', '+', 1), updated_at: now }))
      .where('id', '=', 1)
      .execute();
    const { version } = await getConfigVersion(trx);
    const value = await fn(trx);
    return { value, version };
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}
