import { readCookie, SESSION_COOKIE } from './authenticate-request';

/**
 * Cross-site request forgery guard for the dashboard's session cookie (docs/security.md). A cookie
 * is sent by the browser whoever made the page, so a cookie-authenticated request is accepted only
 * when it comes from the dashboard's own origin and, when it has a body, as `application/json`
 * (which a cross-site page cannot send without a CORS preflight this server never grants).
 * Requests that authenticate with a bearer token are not affected: scripts stay usable.
 *
 * Returns null when the request may go on, else the reason it is refused.
 */
export function refuseCrossSiteCookie(request: Request): string | null {
  const headers = request.headers;
  const bearer = /^bearer\s+\S/i.test(headers.get('authorization') ?? '') || headers.has('x-api-key');
  if (bearer || readCookie(headers.get('cookie'), SESSION_COOKIE) === null) return null;
  if (!isSameOrigin(request))
    return 'the session cookie is accepted only from the dashboard’s own origin; scripts send Authorization: Bearer <api token>';
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'OPTIONS';
  const contentType = (headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (hasBody && contentType !== 'application/json')
    return 'a request authenticated by the session cookie must send content-type: application/json';
  return null;
}

/**
 * `Sec-Fetch-Site` when the browser sends it (`same-site` is refused too: another port of the same
 * host is same-site); else `Origin`, compared with the host the request was sent to. A request with
 * neither header does not come from a browser page.
 */
function isSameOrigin(request: Request): boolean {
  const site = request.headers.get('sec-fetch-site');
  if (site !== null) return site === 'same-origin' || site === 'none';
  const origin = request.headers.get('origin');
  if (origin === null) return true;
  try {
    return new URL(origin).host === new URL(request.url).host;
  } catch {
    return false;
  }
}
