import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  defaultLimitsOf,
  type GatewayError,
  type IndexedAutoselect,
  type ModelLimits,
  type Resolution,
  type SnapshotUser,
  type UsageSink,
} from '@aisbf/core';
import type { Principal } from './auth';
import type { Autoselector } from './autoselect/index';
import type { BudgetHolds } from './budget/budget-holds';
import { serveCachedProxy, type ResponseCache } from './cache/serve-cached-proxy';
import { prepareAnthropicTurn } from './client-dialect/anthropic-turn';
import { prepareResponsesTurn, type ResponsesDeps } from './client-dialect/responses-turn';
import type { Summariser, SummariserRequest } from './context/summariser';
import { clientSignalOf } from './http/client-signal';
import { sendDialectError } from './http/dialect-error';
import { incomingHops, loopDetected } from './http/hop-count';
import type { ClientDialectName } from './http/parse-path';
import { readJsonBody, type BodyLimits } from './http/read-json-body';
import { validateRequestBody } from './http/validate-request-body';
import type { AutoselectCtx } from './proxy/autoselect-bridge';
import { expandAutoselect, type ExpansionContext } from './proxy/expand-autoselect';
import type { ProxyCall, ProxyEndpoint, ServeDeps } from './proxy/proxy-call';
import type { RouteResolver } from './proxy/route-resolver';
import { routeRefusal } from './proxy/route-refusal';
import { usageRecord } from './usage-record';

/** What serving an authenticated API call needs from the data plane. */
export interface ProxyRequestContext {
  clock: () => number;
  usageSink: UsageSink;
  bodyLimits: BodyLimits;
  autoselector: Autoselector<AutoselectCtx>;
  /** Null: no budget ledger (nothing is reserved). */
  holds: BudgetHolds | null;
  responseCache: ResponseCache | null;
  serveDeps: ServeDeps;
  responses: ResponsesDeps;
  /** AISBF_MAX_HOPS: a request that already passed this many gateways is refused with 508 (http/hop-count.ts). */
  maxHops: number;
  /** The condensation summariser of one request (context/summariser.ts). */
  summariser: (request: SummariserRequest) => Summariser;
}

/** One authenticated call to a proxied endpoint, as the steps after authentication see it. */
export interface ProxyRequest {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  endpoint: ProxyEndpoint;
  /** A client dialect other than chat (its body is converted to a chat request first). */
  client?: ClientDialectName;
  principal: Principal;
  /** Whose routes the call uses (`/api/u/{username}/…` lets an admin act as another user). */
  acting: SnapshotUser;
  resolve: RouteResolver;
  startedAt: number;
  perfStart: number;
  /** The per-minute verdict, in flight (null: no per-minute limit applies). */
  limited: Promise<GatewayError | null> | null;
  /** Marks the request attributable: from then on every exit emits one usage event. */
  attribute: () => void;
}

/**
 * Body, validation, route resolution, autoselect decision, budget reservation, then the proxy (or
 * the response cache). Every exit emits exactly one usage event (docs/usage.md).
 */
export async function serveProxyRequest(ctx: ProxyRequestContext, r: ProxyRequest): Promise<void> {
  const { requestId, startedAt } = r;
  /** Where the answer is written: `r.res`, or a client dialect's view of it (client-dialect/). */
  let res = r.res;
  const idHeader = { 'x-request-id': requestId };
  /**
   * Before anything leaves this process or is refused for another reason, the per-minute limit has
   * its say (as when it was awaited before the body): true when it refused, and the 429 is sent.
   * A refused request is not attributable: no usage event, as before the body was read.
   */
  let limitPending = r.limited;
  /** The verdict, once known: no promise of its own (docs/benchmarks.md "The request's critical path"). */
  const limitSaid = (error: GatewayError | null): boolean => {
    limitPending = null;
    if (error === null) {
      r.attribute();
      return false;
    }
    sendDialectError(r.res, error, idHeader, r.client);
    return true;
  };
  const refusedByLimit = async (): Promise<boolean> => (limitPending === null ? false : limitSaid(await limitPending));
  if (limitPending === null) r.attribute();
  const rejected = async (error: GatewayError, route: string, headers: Record<string, string>): Promise<void> => {
    if (await refusedByLimit()) return;
    ctx.usageSink.emit({
      ...usageRecord({
        at: startedAt,
        userId: r.acting.id,
        tokenId: r.principal.token.id,
        route,
        status: error.status,
        attempts: [],
        autoselectReason: null,
        endpoint: r.endpoint,
      }),
      requestId,
      latencyMs: Math.max(0, ctx.clock() - startedAt),
      costMicros: 0,
    });
    // Written on the client's own response in its dialect (an Anthropic client's bad JSON too).
    sendDialectError(r.res, error, headers, r.client);
  };
  const body = await readJsonBody(r.req, ctx.bodyLimits);
  if (!body.ok) return rejected(body.error, '', idHeader);
  let payload = body.value.json as Record<string, unknown>;
  let client: ProxyCall['client'];
  if (r.client === 'responses') {
    const turn = await prepareResponsesTurn(ctx.responses, r.acting, body.value.json, res);
    if (!turn.ok) return rejected(turn.error, '', idHeader);
    payload = turn.value.chat;
    res = turn.value.res;
  } else if (r.client === 'anthropic') {
    const turn = prepareAnthropicTurn(body.value.json, r.req.headers, res);
    res = turn.res;
    client = turn.client;
    if (!turn.chat.ok) return rejected(turn.chat.error, '', idHeader);
    payload = turn.chat.value;
  } else {
    const invalid = validateRequestBody(r.endpoint, body.value.json);
    if (invalid !== null) return rejected(invalid, '', idHeader);
  }
  const routeName = payload['model'] as string;
  // After the dialect's view is set up, so the 508 comes in the caller's own error shape.
  const hops = incomingHops(r.req.headers);
  if (hops >= ctx.maxHops) return rejected(loopDetected(hops, ctx.maxHops), routeName, idHeader);
  const resolved = r.resolve(r.acting, routeName);
  if (!resolved.ok)
    return rejected(routeRefusal(resolved.error), routeName, {
      ...idHeader,
      'x-aisbf-route': safeHeader(routeName),
    });
  let resolution: Resolution = resolved.value;
  let routeHeader = resolution.route;
  const fallbacks: Resolution[] = [];
  const extraHeaders: Record<string, string> = {};
  let autoselectReason: string | null = null;
  let autoselectLimits: ModelLimits | undefined;
  let judgedPrivate = false;
  const expansionCtx: ExpansionContext = {
    resolve: r.resolve,
    user: r.acting,
    token: r.principal.token,
    body: payload,
    hops,
  };
  if (resolution.kind === 'autoselect') {
    // Deciding an autoselect may call a model: not for a request over its per-minute limit.
    if (await refusedByLimit()) return;
    const expansion = await expandAutoselect(ctx.autoselector, resolution, expansionCtx);
    const findings = expansion.findings.join(',');
    if (findings !== '') extraHeaders['x-aisbf-privacy-findings'] = findings;
    if (!expansion.ok)
      return rejected(expansion.error, routeName, {
        ...idHeader,
        ...extraHeaders,
        'x-aisbf-route': resolution.route,
      });
    const [chosen, ...rest] = expansion.routes;
    fallbacks.push(...rest);
    extraHeaders['x-aisbf-autoselect-reason'] = expansion.reason;
    autoselectReason = expansion.reason;
    autoselectLimits = defaultLimitsOf(resolution.autoselect.config);
    judgedPrivate = expansion.private;
    resolution = chosen;
    routeHeader = expansion.first;
  }
  // Quotas and budgets (docs/usage.md): reserved here, settled by this request's usage event.
  const reserving =
    ctx.holds === null
      ? null
      : ctx.holds.reserve({
          requestId,
          principal: r.principal,
          body: payload,
          promptChars: body.value.bytes,
          resolution,
          now: startedAt,
        });
  // A ledger that decided at once answers without a promise: awaited only when it did not.
  let reservation = reserving instanceof Promise ? null : reserving;
  if (limitPending !== null) {
    // Both in flight at once: one round trip. A request the limit refuses gives its reservation back.
    const [refusal, held] =
      reserving instanceof Promise ? await Promise.all([limitPending, reserving]) : [await limitPending, reservation];
    if (refusal !== null && held !== null && held.ok && held.key !== null) ctx.holds?.refund(held.key);
    if (limitSaid(refusal)) return;
    reservation = held;
  } else if (reserving instanceof Promise) reservation = await reserving;
  if (reservation !== null && !reservation.ok)
    return rejected(reservation.error, routeName, { ...idHeader, 'x-aisbf-route': safeHeader(routeName) });
  const holdKey = reservation === null ? null : reservation.key;
  try {
    await serveCachedProxy(ctx.responseCache, ctx.serveDeps, r.req.headers['x-aisbf-cache'], {
      res,
      requestId,
      startedAt,
      perfStart: r.perfStart,
      user: r.acting,
      token: r.principal.token,
      requestedRoute: routeName,
      routeHeader,
      endpoint: r.endpoint,
      body: payload,
      hops,
      resolution,
      clientSignal: clientSignalOf(r.res),
      extraHeaders,
      autoselectReason,
      fallbacks,
      // Plain fields, undefined when they do not apply: one object shape, no spreads on the hot
      // path (docs/benchmarks.md "The request's critical path").
      autoselectLimits,
      client,
      summariser: ctx.summariser({
        user: r.acting,
        principal: r.principal,
        resolve: r.resolve,
        hops,
        judgedPrivate,
      }),
      // Autoselects met as rotation entries are decided when (and only if) the rotation picks one.
      expand:
        resolution.kind === 'rotation'
          ? (autoselect: IndexedAutoselect) => expandAutoselect(ctx.autoselector, autoselect, expansionCtx)
          : undefined,
    });
  } finally {
    if (holdKey !== null) ctx.holds?.release(holdKey);
  }
}

/** Route names come from clients: keep header values printable ASCII. */
function safeHeader(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 400);
}
