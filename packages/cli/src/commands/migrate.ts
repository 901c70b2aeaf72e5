import { createDatabase, migrateToLatest } from '@aisbf/db';
import { defaultDatabaseUrl } from '../data-dir';
import type { Env } from '../env';

/** `aisbf migrate`: forward-only migrations, safe to run against a live cluster. */
export async function runMigrate(env: Env): Promise<number> {
  const handle = createDatabase(env.AISBF_DATABASE_URL ?? defaultDatabaseUrl(env.AISBF_DATA_DIR));
  try {
    const report = await migrateToLatest(handle.db);
    console.log(report.applied.length === 0 ? 'database is up to date' : `applied: ${report.applied.join(', ')}`);
    return 0;
  } finally {
    await handle.close();
  }
}
