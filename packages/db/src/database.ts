import type { Kysely } from 'kysely';
import type { ConfigChangesTable, ConfigVersionTable } from './config-version.table';
import type { PrefillRefusalsTable, ProviderModelHealthTable } from './health.table';
import type { ProviderHealthTable, ProviderModelsTable, ProvidersTable } from './providers.table';
import type { RouteConfigsTable } from './route-configs.table';
import type { UsageRecordsTable } from './usage-records.table';
import type { ApiTokensTable, UsersTable } from './users.table';

/** The Kysely schema of the whole store. */
export interface Database {
  users: UsersTable;
  api_tokens: ApiTokensTable;
  providers: ProvidersTable;
  provider_models: ProviderModelsTable;
  provider_health: ProviderHealthTable;
  provider_model_health: ProviderModelHealthTable;
  prefill_refusals: PrefillRefusalsTable;
  rotations: RouteConfigsTable;
  autoselects: RouteConfigsTable;
  config_version: ConfigVersionTable;
  config_changes: ConfigChangesTable;
  usage_records: UsageRecordsTable;
}

export type Dialect = 'sqlite' | 'mysql';

/** The database handle repositories take: a `Kysely<Database>` or a transaction of it. */
export type Db = Kysely<Database>;
