import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError, err, ok, type Result, type SnapshotIndex, type SnapshotToken, type SnapshotUser } from '@aisbf/core';
import { hashApiToken } from '@aisbf/secrets';

export interface Principal {
  token: SnapshotToken;
  /** The token's user. */
  user: SnapshotUser;
}

/** `Authorization: Bearer <token>` or `x-api-key` (DESIGN §2 "Auth"); checked against hashes in the index. */
export function authenticate(index: SnapshotIndex, headers: IncomingHttpHeaders, now: number): Result<Principal, GatewayError> {
  const authorization = headers.authorization;
  let presented: string | undefined;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    presented = match?.[1];
  }
  if (presented === undefined) {
    const apiKey = headers['x-api-key'];
    presented = typeof apiKey === 'string' && apiKey.length > 0 ? apiKey.trim() : undefined;
  }
  if (presented === undefined) return err(new GatewayError('UNAUTHENTICATED', 'Missing API key: send "Authorization: Bearer <token>" or "x-api-key: <token>".', { wireCode: 'missing_api_key' }));
  if (presented.length > 512) return err(new GatewayError('UNAUTHENTICATED', 'Invalid API key.', { wireCode: 'invalid_api_key' }));
  const found = index.tokensByHash.get(hashApiToken(presented));
  if (found === undefined) return err(new GatewayError('UNAUTHENTICATED', 'Invalid API key (unknown or revoked).', { wireCode: 'invalid_api_key' }));
  if (found.token.expiresAt !== null && found.token.expiresAt <= now) return err(new GatewayError('UNAUTHENTICATED', 'This API key has expired.', { wireCode: 'expired_api_key' }));
  if (found.user.disabled) return err(new GatewayError('FORBIDDEN', 'This user is disabled.', { wireCode: 'user_disabled' }));
  return ok(found);
}

/** `/api/u/{username}/…`: a token acts for its own user only, unless it is an admin's. */
export function actingUser(index: SnapshotIndex, principal: Principal, pathUsername: string | null): Result<SnapshotUser, GatewayError> {
  if (pathUsername === null || pathUsername === principal.user.username) return ok(principal.user);
  if (principal.user.role !== 'admin') return err(new GatewayError('FORBIDDEN', `This token belongs to another user and may not act for "${pathUsername}".`, { wireCode: 'forbidden' }));
  const user = index.usersByName.get(pathUsername);
  if (user === undefined) return err(new GatewayError('NOT_FOUND', `No user "${pathUsername}".`, { wireCode: 'user_not_found' }));
  if (user.disabled) return err(new GatewayError('FORBIDDEN', `The user "${pathUsername}" is disabled.`, { wireCode: 'user_disabled' }));
  return ok(user);
}
