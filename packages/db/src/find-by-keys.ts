import type { Kysely, Selectable } from 'kysely';
import type { Database } from './database';

/** One resource of a scope: its owner (null = global) and slug. */
export interface ScopedKey {
  ownerId: string | null;
  id: string;
}

type ScopedTable = 'providers' | 'rotations' | 'autoselects';

/** Keys per query: the OR of (owner_key, slug) pairs stays a short range scan of the unique index. */
const CHUNK = 200;

/**
 * The rows of `table` for the `(owner, slug)` pairs that exist, looked up by its unique index in
 * chunks, so a caller with a few hundred keys never reads a table that grows with sign-ups.
 */
export async function selectByKeys<T extends ScopedTable>(
  db: Kysely<Database>,
  table: T,
  keys: ReadonlyArray<ScopedKey>,
): Promise<Array<Selectable<Database[T]>>> {
  const unique = [...new Map(keys.map((k) => [`${k.ownerId ?? ''}/${k.id}`, k])).values()];
  const rows: Array<Selectable<Database[T]>> = [];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const chunk = unique.slice(i, i + CHUNK);
    // One concrete table for the query builder's types; all three share these columns.
    const found = await db
      .selectFrom(table as 'providers')
      .selectAll()
      .where((eb) => eb.or(chunk.map((k) => eb.and([eb('owner_key', '=', k.ownerId ?? ''), eb('slug', '=', k.id)]))))
      .execute();
    rows.push(...(found as unknown as Array<Selectable<Database[T]>>));
  }
  return rows;
}
