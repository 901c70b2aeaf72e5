import { GatewayError, err, ok, type Result, type SnapshotUser, type UserPart } from '@aisbf/core';
import { checkToken, type Principal } from './auth';
import type { ConfigView, Served } from './config-view';

export interface Caller {
  principal: Principal;
  /** The user the request acts for (the token's, or the path's for an admin) and its index. */
  acting: SnapshotUser;
  served: Served;
}

const unavailable = (): GatewayError =>
  new GatewayError('UNAVAILABLE', 'The configuration store is unreachable; retry shortly.', {
    wireCode: 'config_unavailable',
    retryAfterS: 1,
  });

// Made only when refused: an Error captures a stack trace, measurable on every request if built eagerly.
const invalid = (): Result<never, GatewayError> =>
  err(new GatewayError('UNAUTHENTICATED', 'Invalid API key (unknown or revoked).', { wireCode: 'invalid_api_key' }));

/** A user's part: held (no I/O) or loaded on first use; a store that cannot be read is a 503, never a 401. */
async function partOf(view: ConfigView, userId: string): Promise<Result<UserPart | null, GatewayError>> {
  const held = view.parts.heldUser(userId);
  if (held !== undefined) return ok(held);
  try {
    return ok(await view.parts.loadUser(userId));
  } catch {
    return err(unavailable());
  }
}

/**
 * The token's hash → its user (held parts first, else the store's token index) → that user's
 * part → the token checked in it (docs/cluster.md "What a node holds"). Then `/api/u/{username}/…`:
 * a token acts for its own user only, unless it is an admin's, which acts for the named user.
 */
export async function resolveCaller(
  view: ConfigView,
  hash: string,
  pathUsername: string | null,
  now: number,
): Promise<Result<Caller, GatewayError>> {
  let owner = view.parts.heldTokenOwner(hash);
  if (owner === undefined) {
    try {
      owner = (await view.parts.tokenOwner(hash)) ?? undefined;
    } catch {
      return err(unavailable());
    }
  }
  if (owner === undefined) return invalid();
  // A held part is read without a promise of its own (the common case: one per request).
  const held = view.parts.heldUser(owner);
  const part = held !== undefined ? ok(held) : await partOf(view, owner);
  if (!part.ok) return part;
  if (part.value === null) return invalid();
  const served = view.served(part.value);
  const principal = checkToken(served.index, hash, now);
  if (!principal.ok) return principal;
  const user = principal.value.user;
  if (pathUsername === null || pathUsername === user.username)
    return ok({ principal: principal.value, acting: user, served });
  if (user.role !== 'admin')
    return err(
      new GatewayError('FORBIDDEN', `This token belongs to another user and may not act for "${pathUsername}".`, {
        wireCode: 'forbidden',
      }),
    );
  let targetId: string | null;
  try {
    targetId = await view.parts.userIdByName(pathUsername);
  } catch {
    return err(unavailable());
  }
  const target = targetId === null ? ok(null) : await partOf(view, targetId);
  if (!target.ok) return target;
  // A renamed user's old name may still point at its id: the part's own name must match.
  if (target.value === null || target.value.user.username !== pathUsername)
    return err(new GatewayError('NOT_FOUND', `No user "${pathUsername}".`, { wireCode: 'user_not_found' }));
  if (target.value.user.disabled)
    return err(new GatewayError('FORBIDDEN', `The user "${pathUsername}" is disabled.`, { wireCode: 'user_disabled' }));
  const targetServed = view.served(target.value);
  return ok({ principal: principal.value, acting: target.value.user, served: targetServed });
}
