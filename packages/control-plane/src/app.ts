import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERROR_STATUS, isGatewayError } from '@aisbf/core';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { createGraphql } from './graphql/create-graphql';
import { authenticateRequest, isSecureRequest, sessionCookie } from './http/authenticate-request';
import { clientAddress, type TrustedProxies } from './http/client-address';
import { refuseCrossSiteCookie } from './http/cookie-gate';
import { sendFetchResponse, sendJson, toFetchRequest } from './http/node-fetch-bridge';
import { serveStatic } from './http/serve-static';
import { createMcpHandler, parseMcpPath } from './mcp/create-mcp-handler';
import { createMemorySessionStore } from './memory-session-store';
import type { DataPlaneFetch, SessionStore } from './ports';
import { createServices, type CreateServicesDeps, type Services } from './services/create-services';
import { appRouter } from './trpc/app.router';

export interface ControlPlaneDeps extends Omit<CreateServicesDeps, 'sessions'> {
  /** Default: in memory (all-in-one). Cluster mode passes the Redis store from @aisbf/bus. */
  sessions?: SessionStore;
  /** The dashboard's static build; omitted = no dashboard. */
  dashboardDir?: string;
  /** Default 5 MiB (config documents). */
  maxBodyBytes?: number;
  /** Reverse proxies whose `X-Forwarded-For` names the client (AISBF_TRUSTED_PROXIES); default none. */
  trustedProxies?: TrustedProxies;
  /** Where the MCP `chat` tool reaches a data plane (docs/mcp.md); absent = `chat` is refused. */
  dataPlane?: DataPlaneFetch;
  /** Called with unexpected errors (masked in replies); the CLI logs them. */
  onError?: (error: unknown, context: string) => void;
}

export interface ControlPlane {
  /** Node handler for `/graphql`, `/trpc/*`, `/mcp`, `/healthz` and, with a dashboardDir, everything else. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** The same, over fetch (tests, other runtimes). */
  fetch(request: Request, info?: { clientIp?: string }): Promise<Response>;
  services: Services;
  close(): Promise<void>;
}

/** A refused request in the shape of the transport it was sent to (GraphQL or tRPC). */
const forbidden = (graphql: boolean, message: string): Response =>
  Response.json(
    graphql
      ? { errors: [{ message, extensions: { code: 'FORBIDDEN' } }] }
      : { error: { message, code: -32003, data: { code: 'FORBIDDEN', httpStatus: 403 } } },
    { status: 403 },
  );

/** Whether a path belongs to the control plane when it shares a port with the data plane. */
export const isControlPlanePath = (pathname: string): boolean =>
  pathname === '/graphql' || pathname === '/trpc' || pathname.startsWith('/trpc/') || parseMcpPath(pathname) !== null;

export function createControlPlane(deps: ControlPlaneDeps): ControlPlane {
  const ownsSessions = deps.sessions === undefined;
  const sessions = deps.sessions ?? createMemorySessionStore(deps.now ? { now: deps.now } : {});
  const services = createServices({ ...deps, sessions });
  const authenticate = (request: Request) => authenticateRequest(services.auth, request.headers);
  const yoga = createGraphql({ services, authenticate });
  const maxBodyBytes = deps.maxBodyBytes ?? 5 * 1024 * 1024;
  const mcp = createMcpHandler({ services, dataPlane: deps.dataPlane, maxBodyBytes, onError: deps.onError });

  const fetchHandler = async (request: Request, info: { clientIp?: string } = {}): Promise<Response> => {
    const { pathname } = new URL(request.url);
    const isGraphql = pathname === '/graphql';
    const isTrpc = pathname === '/trpc' || pathname.startsWith('/trpc/');
    const refused = isGraphql || isTrpc ? refuseCrossSiteCookie(request) : null;
    if (refused !== null) return forbidden(isGraphql, refused);
    if (isGraphql) return yoga.fetch(request);
    if (parseMcpPath(pathname) !== null) return mcp(request);
    if (isTrpc) {
      const secure = isSecureRequest(request.url, request.headers);
      return fetchRequestHandler({
        endpoint: '/trpc',
        req: request,
        router: appRouter,
        createContext: async ({ resHeaders }) => ({
          actor: await authenticate(request),
          services,
          setSessionCookie: (id: string | null) =>
            resHeaders.append(
              'set-cookie',
              sessionCookie(id, { secure, maxAgeS: Math.floor(services.auth.sessionTtlMs / 1000) }),
            ),
          ...(info.clientIp !== undefined ? { clientIp: info.clientIp } : {}),
        }),
        onError: ({ error }) => {
          if (error.code === 'INTERNAL_SERVER_ERROR' && !isGatewayError(error.cause))
            deps.onError?.(error.cause ?? error, `trpc ${pathname}`);
        },
      });
    }
    if (pathname === '/healthz') return Response.json({ status: 'ok' });
    return Response.json(
      { error: { message: 'not found', type: 'not_found', code: null, param: null } },
      { status: 404 },
    );
  };

  const handleAsync = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    if (
      deps.dashboardDir !== undefined &&
      !isControlPlanePath(pathname) &&
      pathname !== '/healthz' &&
      (req.method === 'GET' || req.method === 'HEAD')
    ) {
      await serveStatic(deps.dashboardDir, req, res);
      return;
    }
    const request = await toFetchRequest(req, maxBodyBytes);
    const forwarded = req.headers['x-forwarded-for'];
    const clientIp = clientAddress(
      req.socket.remoteAddress,
      Array.isArray(forwarded) ? forwarded.join(',') : forwarded,
      deps.trustedProxies,
    );
    await sendFetchResponse(res, await fetchHandler(request, clientIp !== undefined ? { clientIp } : {}));
  };

  return {
    handle(req, res) {
      handleAsync(req, res).catch((error: unknown) => {
        if (!isGatewayError(error)) deps.onError?.(error, `control plane ${req.method ?? ''} ${req.url ?? ''}`);
        if (res.headersSent) {
          res.destroy();
          return;
        }
        const status = isGatewayError(error) ? ERROR_STATUS[error.code] : 500;
        sendJson(res, status, {
          error: {
            message: isGatewayError(error) ? error.message : 'internal error',
            type: 'control_plane_error',
            code: isGatewayError(error) ? error.code : 'INTERNAL',
            param: null,
          },
        });
      });
    },
    fetch: fetchHandler,
    services,
    async close() {
      await yoga.dispose();
      if (ownsSessions) await sessions.close();
    },
  };
}
