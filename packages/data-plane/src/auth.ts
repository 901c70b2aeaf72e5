import type { IncomingHttpHeaders } from 'node:http';
import {
  GatewayError,
  err,
  ok,
  type Result,
  type SnapshotIndex,
  type SnapshotToken,
  type SnapshotUser,
} from '@aisbf/core';
import { hashApiToken } from '@aisbf/secrets';

export interface Principal {
  token: SnapshotToken;
  /** The token's user. */
  user: SnapshotUser;
}

/** Checks a request's credentials against the snapshot index: `authenticate(index, headers, now)`. */
export type Authenticator = (
  index: SnapshotIndex,
  headers: IncomingHttpHeaders,
  now: number,
) => Result<Principal, GatewayError>;

/** Hashes of known tokens kept at most; past it the memo starts over (no per-request eviction work). */
const MEMO_LIMIT = 10_000;

/**
 * `Authorization: Bearer <token>` or `x-api-key` (docs/architecture.md "Data plane API"), checked against the hashes in
 * the index. The SHA-256 of a token that matched once is remembered (presented string → hash), so
 * a busy client costs a Map lookup, not a hash, per request. Only the hash is remembered, never
 * the token's grant: every request still finds the token in the current index, so a revoked or
 * expired token fails on the next request exactly as before. Unknown tokens are never memoised
 * (a client guessing tokens cannot grow the memo).
 */
export function createAuthenticator(): Authenticator {
  let hashes = new Map<string, string>();
  return (index, headers, now) => {
    const presented = presentedToken(headers);
    if (presented === undefined)
      return err(
        new GatewayError(
          'UNAUTHENTICATED',
          'Missing API key: send "Authorization: Bearer <token>" or "x-api-key: <token>".',
          { wireCode: 'missing_api_key' },
        ),
      );
    if (presented.length > 512)
      return err(new GatewayError('UNAUTHENTICATED', 'Invalid API key.', { wireCode: 'invalid_api_key' }));
    const memo = hashes.get(presented);
    const hash = memo ?? hashApiToken(presented);
    const found = index.tokensByHash.get(hash);
    if (found === undefined)
      return err(
        new GatewayError('UNAUTHENTICATED', 'Invalid API key (unknown or revoked).', { wireCode: 'invalid_api_key' }),
      );
    if (memo === undefined) {
      if (hashes.size >= MEMO_LIMIT) hashes = new Map();
      hashes.set(presented, hash);
    }
    if (found.token.expiresAt !== null && found.token.expiresAt <= now)
      return err(new GatewayError('UNAUTHENTICATED', 'This API key has expired.', { wireCode: 'expired_api_key' }));
    if (found.user.disabled)
      return err(new GatewayError('FORBIDDEN', 'This user is disabled.', { wireCode: 'user_disabled' }));
    return ok(found);
  };
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

function presentedToken(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const presented = BEARER.exec(authorization)?.[1];
    if (presented !== undefined) return presented;
  }
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.length > 0 ? apiKey.trim() : undefined;
}

/** `/api/u/{username}/…`: a token acts for its own user only, unless it is an admin's. */
export function actingUser(
  index: SnapshotIndex,
  principal: Principal,
  pathUsername: string | null,
): Result<SnapshotUser, GatewayError> {
  if (pathUsername === null || pathUsername === principal.user.username) return ok(principal.user);
  if (principal.user.role !== 'admin')
    return err(
      new GatewayError('FORBIDDEN', `This token belongs to another user and may not act for "${pathUsername}".`, {
        wireCode: 'forbidden',
      }),
    );
  const user = index.usersByName.get(pathUsername);
  if (user === undefined)
    return err(new GatewayError('NOT_FOUND', `No user "${pathUsername}".`, { wireCode: 'user_not_found' }));
  if (user.disabled)
    return err(new GatewayError('FORBIDDEN', `The user "${pathUsername}" is disabled.`, { wireCode: 'user_disabled' }));
  return ok(user);
}
