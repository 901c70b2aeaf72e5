import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, type SnapshotIndex } from '@aisbf/core';
import { actingUser, type Authenticator } from './auth';
import type { ModelsEndpoint } from './http/models-endpoint';
import { serveCountTokens } from './client-dialect/count-tokens';
import { errorDialectOf, type ClientDialectName, type ParsedPath } from './http/parse-path';
import { sendDialectError } from './http/dialect-error';
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
  // Every refusal below is written in the client's own dialect (docs/clients.md).
  const dialect = errorDialectOf(parsed.op, req.headers);
  const refuse = (error: GatewayError): void => {
    req.resume();
    sendDialectError(res, error, idHeader, dialect);
  };
  const current = ctx.current();
  if (current === null) {
    refuse(
      new GatewayError('UNAVAILABLE', 'The data plane has no configuration yet; retry shortly.', {
        wireCode: 'not_ready',
        retryAfterS: 1,
      }),
    );
    return;
  }
  const auth = ctx.authenticate(current.index, req.headers, startedAt);
  if (!auth.ok) return refuse(auth.error);
  const acting = actingUser(current.index, auth.value, parsed.username);
  if (!acting.ok) return refuse(acting.error);
  const limits = ctx.rateLimits.checks(auth.value);
  const op = parsed.op;
  // The per-minute verdict is asked for now. A proxied call awaits it together with its budget
  // reservation (one Redis round trip for both, docs/decisions.md "Per-minute limit and budget
  // reservation in one round trip"); every other request awaits it here, before anything else.
  const limited = limits === null ? null : ctx.rateLimits.hit(limits);
  if (limited !== null && (op.kind !== 'proxy' || req.method !== 'POST')) {
    const refusal = await limited;
    if (refusal !== null) return refuse(refusal);
  }
  if (op.kind === 'unknown')
    return refuse(
      new GatewayError(
        'NOT_FOUND',
        `Unknown endpoint "${op.rest}"; this API serves chat/completions, completions, embeddings, responses, messages, messages/count_tokens and models.`,
        { wireCode: 'unknown_url' },
      ),
    );
  if (op.kind === 'models') {
    req.resume();
    if (req.method !== 'GET') {
      // RFC 9110 §15.5.6: a 405 names the methods the resource does support.
      res.setHeader('allow', 'GET');
      return refuse(new GatewayError('METHOD_NOT_ALLOWED', 'Use GET for /models.', { wireCode: 'method_not_allowed' }));
    }
    return ctx.models.serve(res, current.index, acting.value, op.id, idHeader);
  }
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return refuse(
      new GatewayError('METHOD_NOT_ALLOWED', `Use POST for ${endpointName(op)}.`, {
        wireCode: 'method_not_allowed',
      }),
    );
  }
  if (op.kind === 'count_tokens')
    return serveCountTokens(ctx.bodyLimits, req, res, {
      acting: acting.value,
      resolve: current.resolve,
      headers: idHeader,
    });
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

function endpointName(
  op: { kind: 'count_tokens' } | { kind: 'proxy'; endpoint: string; client?: ClientDialectName },
): string {
  if (op.kind === 'count_tokens') return 'messages/count_tokens';
  return op.client === 'anthropic' ? 'messages' : (op.client ?? op.endpoint);
}
