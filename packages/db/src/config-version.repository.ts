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
 * Versions whose owners `config_changes` keeps: a control plane whose Redis holds a version older
 * than this many commits re-stores every part at boot (docs/cluster.md "Control-plane cost").
 */
export const CONFIG_CHANGES_KEPT = 100_000;
/** Old rows are pruned once every this many versions (one indexed range delete). */
const PRUNE_EVERY = 1_000;

/** `config_changes.owner_key` of an owner: '' global, '*' unknown (undefined), else the user id. */
const changeOwnerKey = (owner: string | null | undefined): string => (owner === undefined ? '*' : (owner ?? ''));

/**
 * Runs `fn` in a transaction that also bumps the config version (docs/architecture.md "Control plane": every committed
 * change bumps a monotonic version). The bump comes first so its row lock serializes concurrent
 * config writers on MySQL; if `fn` throws, the writes and the bump roll back together.
 * `ownersOf` names whose parts the change touched (a user id, null = global; without it, or for an
 * undefined owner, every part): recorded in `config_changes` in the same transaction, so a boot
 * finds what changed since the version Redis holds even when a publish never happened.
 */
export async function withConfigChange<T>(
  db: Kysely<Database>,
  fn: (trx: Kysely<Database>) => Promise<T>,
  options: { now?: number; ownersOf?: (value: T) => ReadonlyArray<string | null | undefined> } = {},
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
    const owners = options.ownersOf ? options.ownersOf(value).map(changeOwnerKey) : ['*'];
    const unique = [...new Set(owners)];
    if (unique.length > 0)
      await trx
        .insertInto('config_changes')
        .values(unique.map((owner_key) => ({ version, owner_key })))
        .execute();
    if (version % PRUNE_EVERY === 0)
      await trx
        .deleteFrom('config_changes')
        .where('version', '<=', version - CONFIG_CHANGES_KEPT)
        .execute();
    return { value, version };
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

/**
 * Whose parts changed after `after` (docs/cluster.md "Control-plane cost"): the owners recorded by
 * the commits after it (null = the global part), read with the current version in one
 * transaction. `owners` is null when that cannot be known: `after` is older than the rows kept,
 * ahead of the database (another database, a restored backup), or a commit named no owner.
 */
export async function configChangesSince(
  db: Kysely<Database>,
  after: number,
): Promise<{ version: number; createdAt: number; owners: Array<string | null> | null }> {
  const read = async (trx: Kysely<Database>) => {
    const { version, updatedAt } = await getConfigVersion(trx);
    const unknown = { version, createdAt: updatedAt, owners: null };
    if (after > version || version - after > CONFIG_CHANGES_KEPT) return unknown;
    if (after === version) return { version, createdAt: updatedAt, owners: [] };
    const rows = await trx
      .selectFrom('config_changes')
      .select('owner_key')
      .distinct()
      .where('version', '>', after)
      .where('version', '<=', version)
      .execute();
    if (rows.some((r) => r.owner_key === '*')) return unknown;
    return { version, createdAt: updatedAt, owners: rows.map((r) => (r.owner_key === '' ? null : r.owner_key)) };
  };
  return db.isTransaction ? read(db) : db.transaction().execute(read);
}
