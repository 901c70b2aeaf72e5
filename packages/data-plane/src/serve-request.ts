import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '@aisbf/core';
import type { CredentialReader } from './auth';
import type { ConfigView } from './config-view';
import type { ModelsEndpoint } from './http/models-endpoint';
import { serveCountTokens } from './client-dialect/count-tokens';
import { errorDialectOf, type ClientDialectName, type ParsedPath } from './http/parse-path';
import { sendDialectError } from './http/dialect-error';
import type { RateLimitGate } from './rate-limit-gate';
import { resolveCaller } from './resolve-caller';
import { serveProxyRequest, type ProxyRequestContext } from './serve-proxy-request';

export interface RequestContext extends ProxyRequestContext {
  /** The config parts served from; null (or without a global part) until the first load. */
  config(): ConfigView | null;
  credentials: CredentialReader & { remember(headers: IncomingMessage['headers'], hash: string): void };
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
  const config = ctx.config();
  if (config === null || config.parts.global() === null) {
    refuse(
      new GatewayError('UNAVAILABLE', 'The data plane has no configuration yet; retry shortly.', {
        wireCode: 'not_ready',
        retryAfterS: 1,
      }),
    );
    return;
  }
  const hash = ctx.credentials(req.headers);
  if (!hash.ok) return refuse(hash.error);
  // Held parts answer without I/O; a cold user costs the token index and its part (docs/cluster.md).
  const caller = await resolveCaller(config, hash.value, parsed.username, startedAt);
  if (!caller.ok) return refuse(caller.error);
  ctx.credentials.remember(req.headers, hash.value);
  const { principal, acting, served } = caller.value;
  const limits = ctx.rateLimits.checks(principal);
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
    return ctx.models.serve(res, served.index, acting, op.id, idHeader);
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
      acting: acting,
      resolve: served.resolve,
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
    client: op.client,
    principal: principal,
    acting: acting,
    resolve: served.resolve,
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
