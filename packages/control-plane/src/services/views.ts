import type { Limits } from '@aisbf/core';
import type { ApiToken, User } from '@aisbf/db';

/** What the APIs show of a user and a token; dates as ISO strings (tRPC contract: plain JSON). */
export interface UserView {
  id: string;
  username: string;
  role: 'admin' | 'user';
  disabled: boolean;
  createdAt: string;
  /** Quotas and budgets (docs/usage.md); null: none. */
  limits: Limits | null;
}

export interface TokenView {
  id: string;
  name: string;
  hint: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revoked: boolean;
  /** This token's own quotas and budgets, on top of its user's; null: none. */
  limits: Limits | null;
}

export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export const userView = (u: User): UserView => ({
  id: u.id,
  username: u.username,
  role: u.role,
  disabled: u.disabled,
  createdAt: iso(u.createdAt),
  limits: u.limits,
});

export const tokenView = (t: ApiToken): TokenView => ({
  id: t.id,
  name: t.name,
  hint: t.hint,
  createdAt: iso(t.createdAt),
  expiresAt: isoOrNull(t.expiresAt),
  lastUsedAt: isoOrNull(t.lastUsedAt),
  revoked: t.revokedAt !== null,
  limits: t.limits,
});
