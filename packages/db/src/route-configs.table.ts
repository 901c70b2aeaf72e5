import type { Selectable } from 'kysely';

/**
 * Rotations and autoselects share one shape: the config JSON is stored exactly as the user wrote
 * it (not the defaulted parse), so an export gives back the same document.
 */
export interface RouteConfigsTable {
  id: string;
  owner_id: string | null;
  /** '' for global, else the owner id (see ProvidersTable). */
  owner_key: string;
  slug: string;
  config: string;
  created_at: number;
  updated_at: number;
}

export type RouteConfigRow = Selectable<RouteConfigsTable>;
export type RouteConfigTableName = 'rotations' | 'autoselects';
