import type { Insertable, Selectable, Updateable } from 'kysely';

/**
 * Timestamps are epoch milliseconds in BIGINT columns and booleans are 0/1 integers: the one
 * representation both SQLite and MySQL store and return the same way. JSON lives in TEXT columns.
 */
export interface UsersTable {
  id: string;
  username: string;
  /** scrypt hash (see @aisbf/secrets); null = password login disabled (token-only user). */
  password_hash: string | null;
  role: 'admin' | 'user';
  disabled: number;
  /** JSON `Limits` or null. */
  limits: string | null;
  created_at: number;
  updated_at: number;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  /** Lowercase hex SHA-256 of the plaintext; the plaintext is never stored. */
  hash: string;
  hint: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  limits: string | null;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
export type NewApiTokenRow = Insertable<ApiTokensTable>;
