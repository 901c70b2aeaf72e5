import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, type SnapshotIndex } from '@aisbf/core';
import { actingUser, type Authenticator } from './auth';
import type { ModelsEndpoint } from './http/models-endpoint';
import { sendDialectError } from './http/dialect-error';
import { sendError } from './http/openai-error';
import type { ParsedPath } from './http/parse-path';
import type { RouteResolver } from './proxy/route-resolver';
import type { RateLimitGate } from './rate-limit-gate';
import { serveProxyRequest, type ProxyRequestContext } from './serve-proxy-request';

export interface RequestContext extends ProxyRequestContext {
  /** The current snapshot's index and route resolver; null until the first snapshot. */
  current(): { index: SnapshotIndex; resolve: RouteResolver } | null;
  authenticate: Authenticator;
  rateLimits: RateLimitGate;
  models: ModelsEndpoint;
  /** From here on the request emits a usage event (and so its log line). */
  markAttributable(res: ServerResponse): void;
}

/** One API request after its path was recognised: readiness, credentials, limits, then the operation. */
export async function serveRequest(
  ctx: RequestContext,
  req: IncomingMessage,
  res: ServerResponse,
  parsed: ParsedPath,
  requestId: string,
): Promise<void> {
  const startedAt = ctx.clock();
  const perfStart = performance.now();
  const idHeader = { 'x-request-id': requestId };
  const current = ctx.current();
  if (current === null) {
    req.resume();
    sendError(
      res,
      new GatewayError('UNAVAILABLE', 'The data plane has no configuration yet; retry shortly.', {
        wireCode: 'not_ready',
        retryAfterS: 1,
      }),
      idHeader,
    );
    return;
  }
  const auth = ctx.authenticate(current.index, req.headers, startedAt);
  if (!auth.ok) return refuse(req, res, auth.error, idHeader);
  const acting = actingUser(current.index, auth.value, parsed.username);
  if (!acting.ok) return refuse(req, res, acting.error, idHeader);
  const limits = ctx.rateLimits.checks(auth.value);
  const op = parsed.op;
  // The per-minute verdict is asked for now. A proxied call awaits it together with its budget
  // reservation (one Redis round trip for both, docs/decisions.md "Per-minute limit and budget
  // reservation in one round trip"); every other request awaits it here, before anything else.
  const limited = limits === null ? null : ctx.rateLimits.hit(limits);
  if (limited !== null && (op.kind !== 'proxy' || req.method !== 'POST')) {
    const refusal = await limited;
    if (refusal !== null) {
      req.resume();
      return sendDialectError(res, refusal, idHeader, op.kind === 'proxy' ? op.client : undefined);
    }
  }
  if (op.kind === 'unknown')
    return refuse(
      req,
      res,
      new GatewayError(
        'NOT_FOUND',
        `Unknown endpoint "${op.rest}"; this API serves chat/completions, completions, embeddings, responses and models.`,
        { wireCode: 'unknown_url' },
      ),
      idHeader,
    );
  if (op.kind === 'models') {
    req.resume();
    if (req.method !== 'GET') {
      // RFC 9110 §15.5.6: a 405 names the methods the resource does support.
      res.setHeader('allow', 'GET');
      return sendError(
        res,
        new GatewayError('METHOD_NOT_ALLOWED', 'Use GET for /models.', { wireCode: 'method_not_allowed' }),
        idHeader,
      );
    }
    return ctx.models.serve(res, current.index, acting.value, op.id, idHeader);
  }
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return refuse(
      req,
      res,
      new GatewayError('METHOD_NOT_ALLOWED', `Use POST for ${op.client ?? op.endpoint}.`, {
        wireCode: 'method_not_allowed',
      }),
      idHeader,
    );
  }
  // Attributable (every exit emits one usage event, docs/usage.md) once the per-minute limit let it through.
  await serveProxyRequest(ctx, {
    req,
    res,
    requestId,
    limited,
    attribute: () => ctx.markAttributable(res),
    endpoint: op.endpoint,
    ...(op.client === undefined ? {} : { client: op.client }),
    principal: auth.value,
    acting: acting.value,
    resolve: current.resolve,
    startedAt,
    perfStart,
  });
}

function refuse(req: IncomingMessage, res: ServerResponse, error: GatewayError, headers: Record<string, string>): void {
  req.resume();
  sendError(res, error, headers);
}
