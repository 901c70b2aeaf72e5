import type { Insertable, Selectable } from 'kysely';

/**
 * `owner_id` is null for global (admin-owned) providers. Unique keys treat NULLs as distinct, so
 * uniqueness is on `owner_key` ('' for global, else the owner id) and the slug.
 */
export interface ProvidersTable {
  /** Internal row id (uuid); the user-facing id is `slug`. */
  id: string;
  owner_id: string | null;
  owner_key: string;
  slug: string;
  type: string;
  endpoint: string;
  /** SecretBox ciphertext `v1:…`; never the plaintext key. */
  api_key_enc: string | null;
  api_key_hint: string | null;
  enabled: number;
  admin_only: number;
  /** JSON of the remaining provider settings (timeouts, headers, max_concurrency, unknown AISBF keys). */
  settings: string;
  created_at: number;
  updated_at: number;
}

export interface ProviderModelsTable {
  provider_id: string;
  name: string;
  context_window: number | null;
  prefill: number | null;
  /** JSON `Pricing` or null. */
  pricing: string | null;
  /** JSON object of request defaults or null. */
  defaults: string | null;
  /** JSON of the model's AISBF context keys (`ProviderModel.limits`) or null. */
  limits: string | null;
  /** 'config' = listed by the user, 'discovered' = found by the discover-models job. */
  source: 'config' | 'discovered';
  discovered_at: number | null;
  position: number;
}

export interface ProviderHealthTable {
  provider_id: string;
  status: 'healthy' | 'unhealthy' | 'unknown';
  checked_at: number;
  error: string | null;
  latency_ms: number | null;
}

export type ProviderRow = Selectable<ProvidersTable>;
export type NewProviderRow = Insertable<ProvidersTable>;
export type ProviderModelRow = Selectable<ProviderModelsTable>;
export type ProviderHealthRow = Selectable<ProviderHealthTable>;
