import type { AuthService } from '../services/auth.service';
import type { Actor } from '../services/actor';

export const SESSION_COOKIE = 'aisbf_session';

export function readCookie(header: string | null, name: string): string | null {
  if (header === null) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return null; // a malformed cookie is no session, not a server error
      }
    }
  }
  return null;
}

/** The API token of `Authorization: Bearer <token>` (or `x-api-key`), if the request carries one. */
export function bearerToken(headers: Headers): string | null {
  const authorization = headers.get('authorization');
  const token =
    authorization !== null && /^bearer\s+/i.test(authorization)
      ? authorization.replace(/^bearer\s+/i, '').trim()
      : headers.get('x-api-key');
  return token || null;
}

/** `Authorization: Bearer <api token>` (or `x-api-key`), else the dashboard's session cookie. */
export async function authenticateRequest(auth: AuthService, headers: Headers): Promise<Actor | null> {
  const bearer = bearerToken(headers);
  if (bearer !== null) return auth.authenticateToken(bearer);
  const session = readCookie(headers.get('cookie'), SESSION_COOKIE);
  return session === null ? null : auth.authenticateSession(session);
}

/** HttpOnly, SameSite=Lax, Secure when the request came over TLS (directly or per x-forwarded-proto). */
export function sessionCookie(value: string | null, options: { secure: boolean; maxAgeS: number }): string {
  const parts = [
    `${SESSION_COOKIE}=${value === null ? '' : encodeURIComponent(value)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${value === null ? 0 : options.maxAgeS}`,
  ];
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

export const isSecureRequest = (url: string, headers: Headers): boolean =>
  url.startsWith('https:') || (headers.get('x-forwarded-proto') ?? '').split(',')[0]?.trim() === 'https';
