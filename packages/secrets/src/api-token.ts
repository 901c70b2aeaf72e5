import { hash, randomBytes } from 'node:crypto';

/** docs/architecture.md "Secrets": tokens are random (256 bits), recognisable by prefix, stored as SHA-256 hashes. */
export const TOKEN_PREFIX = 'aisbf_';

export function generateApiToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** Lowercase hex SHA-256. A fast hash is right here: tokens carry 256 bits of entropy. */
export function hashApiToken(token: string): string {
  // One-shot crypto.hash (Node >= 20.12): about 2.5x cheaper than createHash().update().digest().
  return hash('sha256', token, 'hex');
}

/** Short, non-secret hint shown in lists: `aisbf_AbCd…wxyz`. */
export function tokenHint(token: string): string {
  return token.length <= 14 ? '…' : `${token.slice(0, 10)}…${token.slice(-4)}`;
}
