import type { Role } from '@aisbf/core';

/** Who is calling: resolved once per request from a bearer token or the session cookie. */
export interface Actor {
  userId: string;
  username: string;
  role: Role;
  /** How the caller authenticated; `tokenId` lets a token list mark itself. */
  via: { kind: 'token'; tokenId: string } | { kind: 'session'; sessionId: string } | { kind: 'system' };
}

export const isAdmin = (actor: Actor): boolean => actor.role === 'admin';
