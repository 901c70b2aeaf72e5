import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Database } from './database';
import { init0001 } from './migrations/0001-init';
import { usageAggregates0002 } from './migrations/0002-usage-aggregates';
import { modelHealth0003 } from './migrations/0003-model-health';
import { context0004 } from './migrations/0004-context';
import { configChanges0005 } from './migrations/0005-config-changes';
import { usageFilterIndexes0007 } from './migrations/0007-usage-filter-indexes';
import { healthStatusIndex0008 } from './migrations/0008-health-status-index';
import { usersRoleIndex0009 } from './migrations/0009-users-role-index';

/** Forward-only, in code (no file scanning: works the same from a checkout, tsx or a bundle). */
const MIGRATIONS: Record<string, Migration> = {
  '0001-init': init0001,
  '0002-usage-aggregates': usageAggregates0002,
  '0003-model-health': modelHealth0003,
  '0004-context': context0004,
  '0005-config-changes': configChanges0005,
  '0007-usage-filter-indexes': usageFilterIndexes0007,
  '0008-health-status-index': healthStatusIndex0008,
  '0009-users-role-index': usersRoleIndex0009,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

export interface MigrationReport {
  applied: string[];
}

export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationReport> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
