import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Registry } from 'prom-client';
import type { Env } from './env';
import { serveHttp, type HttpServerHandle } from './serve-http';

export interface MetricsAccess {
  /**
   * On the role's main port: answers `GET /metrics` (200 with the right bearer token, 401 without
   * it, 404 when metrics are not served on this port) and returns true; false for any other path.
   */
  onMainPort(req: IncomingMessage, res: ServerResponse): boolean;
  /** Starts the separate metrics listener when `AISBF_METRICS_PORT` is set; null otherwise. */
  listen(): Promise<HttpServerHandle | null>;
}

/**
 * Who may read `/metrics` (docs/observability.md "Access"): the series name every tenant's routes
 * and providers, so they are never public. `AISBF_METRICS_TOKEN` makes the main port serve them to
 * `Authorization: Bearer <token>` only; `AISBF_METRICS_PORT` moves them to a listener of their own
 * (on `AISBF_HOST`) that serves nothing else, for a network only the scraper reaches. With both, the
 * separate port also asks for the token. With neither, `/metrics` is 404: there is no credential
 * that would unlock it, and a 401 would invite guessing one.
 */
export function createMetricsAccess(
  env: Pick<Env, 'AISBF_METRICS_TOKEN' | 'AISBF_METRICS_PORT' | 'AISBF_HOST'>,
  /** The role's Prometheus text (prom-client's text format), read at scrape time. */
  read: () => Promise<string>,
): MetricsAccess {
  const options = { token: env.AISBF_METRICS_TOKEN, port: env.AISBF_METRICS_PORT, host: env.AISBF_HOST };
  // Compared as SHA-256 digests: equal lengths for timingSafeEqual whatever the caller sends.
  const expected = options.token === undefined ? null : digest(options.token);
  const authorised = (req: IncomingMessage): boolean => {
    if (expected === null) return true;
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer +(\S+) *$/i.exec(header) : null;
    return match !== null && timingSafeEqual(digest(match[1]!), expected);
  };
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    req.resume();
    if (!authorised(req)) {
      send(res, 401, 'metrics need Authorization: Bearer <AISBF_METRICS_TOKEN>', { 'www-authenticate': 'Bearer' });
      return;
    }
    read().then(
      (text) => {
        res.writeHead(200, { 'content-type': Registry.PROMETHEUS_CONTENT_TYPE });
        res.end(text);
      },
      () => send(res, 500, 'metrics unavailable'),
    );
  };
  return {
    onMainPort(req, res) {
      if (pathOf(req) !== '/metrics') return false;
      if (options.port === undefined && expected !== null) serve(req, res);
      else {
        req.resume();
        send(
          res,
          404,
          options.port === undefined
            ? 'metrics are off: set AISBF_METRICS_TOKEN or AISBF_METRICS_PORT (docs/observability.md)'
            : 'metrics are served on AISBF_METRICS_PORT',
        );
      }
      return true;
    },
    async listen() {
      if (options.port === undefined) return null;
      return serveHttp(
        (req, res) => {
          if (pathOf(req) === '/metrics') serve(req, res);
          else {
            req.resume();
            send(res, 404, 'this port serves /metrics only');
          }
        },
        { port: options.port, host: options.host },
      );
    },
  };
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function send(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const code = status === 401 ? 'unauthorized' : status === 404 ? 'not_found' : 'internal_error';
  const type = status === 401 ? 'authentication_error' : status === 404 ? 'invalid_request_error' : 'server_error';
  const body = JSON.stringify({ error: { message, type, code, param: null } });
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
