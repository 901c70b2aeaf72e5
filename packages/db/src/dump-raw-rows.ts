import { sql } from 'kysely';
import type { Db } from './database';

export const ALL_TABLES = [
  'users',
  'api_tokens',
  'providers',
  'provider_models',
  'provider_health',
  'rotations',
  'autoselects',
  'config_version',
  'usage_records',
] as const;

/** Every row of every table as the driver returns it: for backups and for tests proving no plaintext secret is stored. */
export async function dumpRawRows(db: Db): Promise<Record<(typeof ALL_TABLES)[number], unknown[]>> {
  const out = {} as Record<(typeof ALL_TABLES)[number], unknown[]>;
  for (const table of ALL_TABLES)
    out[table] = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db)).rows;
  return out;
}
