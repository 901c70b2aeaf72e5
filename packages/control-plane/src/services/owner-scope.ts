import { GatewayError, type Role } from '@aisbf/core';
import { findUserByUsername, type Db } from '@aisbf/db';
import { isAdmin, type Actor } from './actor';

/** The `owner` argument's keyword for admin-owned, shared resources (docs/architecture.md "Control plane"). */
export const GLOBAL_OWNER = 'GLOBAL';

export interface OwnerScope {
  /** User id, or null for the global scope. */
  ownerId: string | null;
  /** Username, or `GLOBAL`. */
  label: string;
  ownerRole: Role;
}

/**
 * Whose resources a call acts on: omitted = the caller; a username or `GLOBAL` = admins only
 * (a user naming anyone else, even a missing user, gets FORBIDDEN so names cannot be probed).
 */
export async function resolveOwner(db: Db, actor: Actor, owner?: string | null): Promise<OwnerScope> {
  if (owner === undefined || owner === null || owner === '' || owner === actor.username) {
    return { ownerId: actor.userId, label: actor.username, ownerRole: actor.role };
  }
  if (!isAdmin(actor))
    throw new GatewayError('FORBIDDEN', `you may only act on your own resources, not those of "${owner}"`, {
      path: 'owner',
    });
  if (owner === GLOBAL_OWNER) return { ownerId: null, label: GLOBAL_OWNER, ownerRole: 'admin' };
  const user = await findUserByUsername(db, owner);
  if (user === undefined) throw new GatewayError('NOT_FOUND', `user "${owner}" does not exist`, { path: 'owner' });
  return { ownerId: user.id, label: user.username, ownerRole: user.role };
}

export function requireAdmin(actor: Actor): void {
  if (!isAdmin(actor)) throw new GatewayError('FORBIDDEN', 'this needs an admin');
}
