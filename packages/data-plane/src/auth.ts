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

/** Hashes of presented tokens kept at most; past it the memo starts over (no per-request eviction work). */
const MEMO_LIMIT = 10_000;

/** The SHA-256 of the presented credential, or why there is none usable. */
export type CredentialReader = (headers: IncomingHttpHeaders) => Result<string, GatewayError>;

/**
 * `Authorization: Bearer <token>` or `x-api-key` (docs/architecture.md "Data plane API") → the
 * token's SHA-256. The hash of a presented string is remembered (presented string → hash), so a
 * busy client costs a Map lookup, not a hash, per request. Only the hash is remembered, never the
 * token's grant: every request still finds the token in the current config, so a revoked or
 * expired token fails on the next request exactly as before. `remember(presented)` is called only
 * for tokens that matched, so a client guessing tokens cannot grow the memo.
 */
export function createCredentialReader(): CredentialReader & {
  remember(headers: IncomingHttpHeaders, hash: string): void;
} {
  let hashes = new Map<string, string>();
  const read = (headers: IncomingHttpHeaders): Result<string, GatewayError> => {
    const presented = presentedToken(headers);
    if (presented === undefined)
      return err(
        new GatewayError(
          'UNAUTHENTICATED',
          'Missing API key: send "Authorization: Bearer <token>" or "x-api-key: <token>".',
          { wireCode: 'missing_api_key' },
        ),
      );
    if (presented.length > 512) return err(invalidKey());
    return ok(hashes.get(presented) ?? hashApiToken(presented));
  };
  return Object.assign(read, {
    remember(headers: IncomingHttpHeaders, hash: string) {
      const presented = presentedToken(headers);
      if (presented === undefined || hashes.has(presented)) return;
      if (hashes.size >= MEMO_LIMIT) hashes = new Map();
      hashes.set(presented, hash);
    },
  });
}

const invalidKey = (): GatewayError =>
  new GatewayError('UNAUTHENTICATED', 'Invalid API key (unknown or revoked).', { wireCode: 'invalid_api_key' });

/** The token of `hash` in `index` (its user's part), live and of an enabled user. */
export function checkToken(index: SnapshotIndex, hash: string, now: number): Result<Principal, GatewayError> {
  const found = index.tokensByHash.get(hash);
  if (found === undefined) return err(invalidKey());
  if (found.token.expiresAt !== null && found.token.expiresAt <= now)
    return err(new GatewayError('UNAUTHENTICATED', 'This API key has expired.', { wireCode: 'expired_api_key' }));
  if (found.user.disabled)
    return err(new GatewayError('FORBIDDEN', 'This user is disabled.', { wireCode: 'user_disabled' }));
  return ok(found);
}

/** Credentials checked against one index (the whole-snapshot form; tests). */
export function createAuthenticator(): Authenticator {
  const read = createCredentialReader();
  return (index, headers, now) => {
    const hash = read(headers);
    if (!hash.ok) return hash;
    const checked = checkToken(index, hash.value, now);
    if (checked.ok) read.remember(headers, hash.value);
    return checked;
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
