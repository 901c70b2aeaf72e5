import type { Selectable } from 'kysely';

/** Health of one model of a provider (the health-check job; docs/jobs.md). */
export interface ProviderModelHealthTable {
  provider_id: string;
  model: string;
  status: 'healthy' | 'unhealthy' | 'unknown';
  checked_at: number;
  error: string | null;
}

/** An entry (`<scope>|<provider>|<model>`) that refused an assistant prefill (all-in-one mode). */
export interface PrefillRefusalsTable {
  target_key: string;
  refused_at: number;
}

export type ProviderModelHealthRow = Selectable<ProviderModelHealthTable>;
