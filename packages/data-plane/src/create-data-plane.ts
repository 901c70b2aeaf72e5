import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { ZodType } from 'zod';
import {
  GatewayError,
  indexSnapshot,
  listRoutes,
  resolveRoute,
  type BudgetLedger,
  type CooldownSync,
  type EndpointPolicy,
  type IndexedAutoselect,
  type RateLimiter,
  type Resolution,
  type ResponseCacheStore,
  type Snapshot,
  type SnapshotIndex,
  type SnapshotUser,
  type UsageAttempt,
  type UsageEvent,
  type UsageSink,
} from '@aisbf/core';
import type { SecretBox } from '@aisbf/secrets';
import { actingUser, createAuthenticator, type Principal } from './auth';
import { clientSignalOf } from './http/client-signal';
import { badRequest, sendError, sendJson } from './http/openai-error';
import { DEFAULT_BODY_LIMITS, readJsonBody, type BodyLimits } from './http/read-json-body';
import {
  chatRequestSchema,
  completionRequestSchema,
  embeddingRequestSchema,
  passesRequestSchema,
} from './http/request-schemas';
import { createAutoselector } from './autoselect/index';
import { createBudgetGuard, type BudgetHold } from './budget/index';
import { createResponseCache, serveCachedProxy } from './cache/serve-cached-proxy';
import { createDataPlaneMetrics } from './data-plane-metrics';
import { createObserver, logUnattributed } from './observability/index';
import { createAutoselectBridge, type AutoselectCtx } from './proxy/autoselect-bridge';
import { expandAutoselect, type ExpansionContext } from './proxy/expand-autoselect';
import { createRouteResolver, type RouteResolver } from './proxy/route-resolver';
import { createRoutingState } from './proxy/routing-state';
import type { ProviderFlag } from './proxy/run-attempts';
import type { ProviderHealth } from './proxy/select-leaf';
import { type ProxyEndpoint, type ServeDeps } from './proxy/serve-proxy';
import { parsePath, type ParsedPath } from './http/parse-path';
import { createTargetResolver } from './proxy/upstream-target';
import { createUpstreamPools } from './upstream/upstream-pools';
import type { ResolveHost } from './upstream/endpoint-guard';

export interface DataPlaneDeps {
  secretBox: Pick<SecretBox, 'decrypt'>;
  usageSink: UsageSink;
  /**
   * Which addresses user-owned providers may reach, checked on every new connection after DNS
   * (issue 9, docs/endpoint-policy.md); absent or null = not enforced (embedders and tests).
   */
  endpointPolicy?: EndpointPolicy | null;
  /** DNS for the endpoint policy; tests inject one (no real DNS). */
  resolveHost?: ResolveHost;
  cooldownSync?: CooldownSync;
  rateLimiter?: RateLimiter;
  /** Day/month quotas and cost budgets (issue 11): memory ledger all-in-one, Redis in cluster mode. */
  budgetLedger?: BudgetLedger;
  logger: Logger;
  clock?: () => number;
  random?: () => number;
  limits?: Partial<BodyLimits>;
  /** Sockets per upstream origin (undici Pool `connections`); default unbounded (see upstream-pools.ts). */
  upstreamConnections?: number | null;
  /** Serve `GET /metrics` from `handle` (default true); all-in-one may merge `metrics()` itself. */
  exposeMetrics?: boolean;
  /** Exact-match response cache (issue 12, docs/cache.md); absent = no caching. Not closed by `close()`. */
  responseCache?: ResponseCacheStore;
  /** Provider health (the bus `HealthBoard`): rotations skip unhealthy providers. */
  health?: ProviderHealth;
  /** Called when an upstream answers 401/403/404 (wrong key or model), e.g. to mark it in health. */
  onProviderFlagged?: (flag: ProviderFlag) => void;
  /** Whether the config bus is connected (the `aisbf_bus_connected` gauge); absent = no gauge. */
  busConnected?: () => boolean;
  /** Spans go here; default the global @opentelemetry/api tracer (no-op unless an SDK is registered). */
  tracer?: Tracer;
}

export interface DataPlane {
  /**
   * Serves the request when its path belongs to the data plane (`/v1/*`, `/api/v1/*`,
   * `/api/u/{username}/*`, `/healthz`, `/readyz`, `/metrics`) and returns true; returns false without
   * touching `res` otherwise, so the all-in-one server can hand it to the control plane.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Whether `handle` would take this request. */
  matches(req: IncomingMessage): boolean;
  setSnapshot(snapshot: Snapshot): void;
  /** True once a snapshot is loaded (`/readyz`). */
  ready(): boolean;
  /** Prometheus text of this instance's metrics. */
  metrics(): Promise<string>;
  close(): Promise<void>;
}

const ENDPOINT_SCHEMAS: Readonly<Record<ProxyEndpoint, ZodType<Record<string, unknown>>>> = {
  'chat.completions': chatRequestSchema,
  completions: completionRequestSchema,
  embeddings: embeddingRequestSchema,
};

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function createDataPlane(deps: DataPlaneDeps): DataPlane {
  const clock = deps.clock ?? Date.now;
  const random = deps.random ?? Math.random;
  const bodyLimits: BodyLimits = { ...DEFAULT_BODY_LIMITS, ...deps.limits };
  const pools = createUpstreamPools({
    connections: deps.upstreamConnections ?? null,
    guard:
      deps.endpointPolicy == null
        ? null
        : { policy: deps.endpointPolicy, ...(deps.resolveHost === undefined ? {} : { resolveHost: deps.resolveHost }) },
  });
  const metrics = createDataPlaneMetrics();
  let snapshotCreatedAt: number | null = null;
  // `state` is read only at scrape time, after it exists.
  const openCooldowns = (): number => state.openCount(clock());
  const observer = createObserver({
    registry: metrics.registry,
    logger: deps.logger,
    clock,
    openCooldowns,
    waitingForSlot: () => state.waiting(),
    snapshotCreatedAt: () => snapshotCreatedAt,
    busConnected: deps.busConnected,
    tracer: deps.tracer,
  });
  // Every request's usage event also feeds the metrics, its log line and its trace: one place counts requests.
  const usageSink: UsageSink = {
    emit(event) {
      metrics.record(event);
      observer.record(event);
      deps.usageSink.emit(event);
      settleHold(event);
    },
    flush: () => deps.usageSink.flush(),
    close: () => deps.usageSink.close(),
  };
  const budget =
    deps.budgetLedger === undefined ? null : createBudgetGuard({ ledger: deps.budgetLedger, logger: deps.logger });
  /** Open reservations by request; the request's own usage event settles its hold. */
  const holds = new Map<string, BudgetHold>();
  let holdSeq = 0;
  const holdKeyOf = (requestId: string, tokenId: string | null): string => `${tokenId ?? ''}\u0000${requestId}`;
  // A client may reuse an x-request-id: the key is made unique per reservation and found back by prefix.
  const holdFor = (requestId: string, tokenId: string, hold: BudgetHold): string => {
    const key = `${holdKeyOf(requestId, tokenId)}\u0000${holdSeq++}`;
    holds.set(key, hold);
    return key;
  };
  function settleHold(event: UsageEvent): void {
    if (budget === null || holds.size === 0) return;
    const prefix = `${holdKeyOf(event.requestId, event.tokenId)}\u0000`;
    for (const [key, hold] of holds) {
      if (!key.startsWith(prefix)) continue;
      holds.delete(key);
      budget.settle(hold, event);
      return;
    }
  }
  const state = createRoutingState({ cooldownSync: deps.cooldownSync, clock, onOpen: () => metrics.cooldownOpened() });
  const targets = createTargetResolver({ pools, decrypt: (sealed) => deps.secretBox.decrypt(sealed) });
  const serveDeps: ServeDeps = {
    state,
    targets,
    clock,
    random,
    logger: deps.logger,
    usageSink,
    health: deps.health,
    onMalformed: (n) => metrics.malformedChunks(n),
    onAttemptEnded: (attempt) => observer.attemptEnded(attempt),
    onProviderFlagged: (flag) => {
      metrics.providerFlagged(flag.providerId, flag.status);
      deps.onProviderFlagged?.(flag);
    },
  };
  const responseCache = createResponseCache({ store: deps.responseCache, registry: metrics.registry });
  const bridge = createAutoselectBridge({
    ...serveDeps,
    // The selection call is billed like any request: one usage event, marked by its reason.
    onSelectionAttempts: (route, ctx, attempts, ok) =>
      usageSink.emit(
        usageRecord({
          at: clock(),
          userId: ctx.user.id,
          tokenId: ctx.token.id,
          route,
          status: ok ? 200 : 502,
          attempts,
          autoselectReason: 'selection',
        }),
      ),
  });
  const autoselector = createAutoselector<AutoselectCtx>({
    callSelectionModel: bridge.callSelectionModel,
    isPrivateRoute: bridge.isPrivateRoute,
    clock,
  });
  let index: SnapshotIndex | null = null;
  let resolve: RouteResolver | null = null;
  const authenticate = createAuthenticator();
  /** GET /models answers per user, rebuilt lazily after each snapshot. */
  let modelLists = new Map<string, string>();
  let closed = false;
  /** Responses whose request emits a usage event (and so its log line through the observer). */
  const attributable = new WeakSet<ServerResponse>();

  const handle = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path === '/healthz') {
      sendJson(res, 200, { status: 'ok' });
      return true;
    }
    if (path === '/metrics' && deps.exposeMetrics !== false) {
      metrics.text().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        () =>
          sendJson(res, 500, {
            error: { message: 'metrics unavailable', type: 'server_error', code: 'internal_error', param: null },
          }),
      );
      return true;
    }
    if (path === '/readyz') {
      if (index === null || closed)
        sendJson(res, 503, { status: 'not ready', reason: closed ? 'closing' : 'no config snapshot loaded yet' });
      else sendJson(res, 200, { status: 'ready', version: index.version });
      return true;
    }
    const parsed = parsePath(path);
    if (parsed === null) return false;
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const arrived = performance.now();
    // Attributable requests are logged from their usage event; this covers every other exit.
    res.once('close', () => {
      if (!attributable.has(res))
        logUnattributed(deps.logger, {
          requestId,
          endpoint: parsed.op.kind === 'proxy' ? parsed.op.endpoint : parsed.op.kind,
          status: res.statusCode,
          latencyMs: performance.now() - arrived,
        });
    });
    serve(req, res, parsed, requestId).catch((error: unknown) => {
      deps.logger.error({ err: error, requestId }, 'data plane request failed');
      sendError(
        res,
        new GatewayError('INTERNAL', 'Internal error; the request id is in x-request-id.', {
          wireCode: 'internal_error',
        }),
        { 'x-request-id': requestId },
      );
    });
    return true;
  };

  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    parsed: ParsedPath,
    requestId: string,
  ): Promise<void> {
    const startedAt = clock();
    const perfStart = performance.now();
    const idHeader = { 'x-request-id': requestId };
    const current = index;
    const resolveIn = resolve;
    if (current === null || resolveIn === null) {
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
    const auth = authenticate(current, req.headers, startedAt);
    if (!auth.ok) return refuse(req, res, auth.error, idHeader);
    const acting = actingUser(current, auth.value, parsed.username);
    if (!acting.ok) return refuse(req, res, acting.error, idHeader);
    const limits = rateLimitChecks(auth.value);
    if (limits !== null) {
      const limited = await rateLimit(limits);
      if (limited !== null) return refuse(req, res, limited, idHeader);
    }
    const op = parsed.op;
    if (op.kind === 'unknown')
      return refuse(
        req,
        res,
        new GatewayError(
          'NOT_FOUND',
          `Unknown endpoint "${op.rest}"; this API serves chat/completions, completions, embeddings and models.`,
          { wireCode: 'unknown_url' },
        ),
        idHeader,
      );
    if (op.kind === 'models') {
      req.resume();
      if (req.method !== 'GET')
        return sendError(
          res,
          new GatewayError('NOT_FOUND', 'Use GET for /models.', { wireCode: 'method_not_allowed' }),
          idHeader,
        );
      return serveModels(res, current, acting.value, op.id, idHeader);
    }
    if (req.method !== 'POST')
      return refuse(
        req,
        res,
        new GatewayError('NOT_FOUND', `Use POST for ${op.endpoint}.`, { wireCode: 'method_not_allowed' }),
        idHeader,
      );
    // From here on the request is attributable: every exit emits one usage event (issue 3 "Usage").
    attributable.add(res);
    const rejected = (error: GatewayError, route: string, headers: Record<string, string>): void => {
      usageSink.emit({
        ...usageRecord({
          at: startedAt,
          userId: acting.value.id,
          tokenId: auth.value.token.id,
          route,
          status: error.status,
          attempts: [],
          autoselectReason: null,
          endpoint: op.endpoint,
        }),
        requestId,
        latencyMs: Math.max(0, clock() - startedAt),
        costMicros: 0,
      });
      sendError(res, error, headers);
    };
    const body = await readJsonBody(req, bodyLimits);
    if (!body.ok) return rejected(body.error, '', idHeader);
    if (!passesRequestSchema(op.endpoint, body.value)) {
      // The fast check passes every ordinary body; zod words the error for the rest.
      const validated = ENDPOINT_SCHEMAS[op.endpoint].safeParse(body.value);
      const issue = validated.success ? undefined : validated.error.issues[0];
      const param = issue === undefined || issue.path.length === 0 ? undefined : issue.path.join('.');
      if (!validated.success)
        return rejected(
          badRequest(
            typeof body.value !== 'object' || body.value === null || Array.isArray(body.value)
              ? 'The request body must be a JSON object.'
              : (issue?.message ?? 'Invalid request.'),
            param,
          ),
          '',
          idHeader,
        );
    }
    const payload = body.value as Record<string, unknown>;
    const routeName = payload['model'] as string;
    const resolved = resolveIn(acting.value, routeName);
    if (!resolved.ok) {
      const e = resolved.error;
      const error =
        e.kind === 'config'
          ? new GatewayError('INTERNAL', e.message, { wireCode: 'route_misconfigured', path: 'model' })
          : e.kind === 'invalid'
            ? badRequest(e.message, 'model', 'invalid_model')
            : new GatewayError('NOT_FOUND', e.message, { wireCode: 'model_not_found', path: 'model' });
      return rejected(error, routeName, { ...idHeader, 'x-aisbf-route': safeHeader(routeName) });
    }
    let resolution: Resolution = resolved.value;
    let routeHeader = resolution.route;
    const fallbacks: Resolution[] = [];
    const extraHeaders: Record<string, string> = {};
    let autoselectReason: string | null = null;
    const expansionCtx: ExpansionContext = {
      resolve: resolveIn,
      user: acting.value,
      token: auth.value.token,
      body: payload,
    };
    if (resolution.kind === 'autoselect') {
      const expansion = await expandAutoselect(autoselector, resolution, expansionCtx);
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
      resolution = chosen;
      routeHeader = expansion.first;
    }
    // Quotas and budgets (issue 11): reserved here, settled by this request's usage event.
    const reservation =
      budget === null
        ? null
        : await budget.reserve({ principal: auth.value, body: payload, resolution, now: startedAt });
    if (reservation !== null && !reservation.ok)
      return rejected(reservation.error, routeName, { ...idHeader, 'x-aisbf-route': safeHeader(routeName) });
    const holdKey =
      reservation === null || reservation.hold === null
        ? null
        : holdFor(requestId, auth.value.token.id, reservation.hold);
    const clientSignal = clientSignalOf(res);
    try {
      await serveCachedProxy(responseCache, serveDeps, req.headers['x-aisbf-cache'], {
        res,
        requestId,
        startedAt,
        perfStart,
        user: acting.value,
        token: auth.value.token,
        requestedRoute: routeName,
        routeHeader,
        endpoint: op.endpoint,
        body: payload,
        resolution,
        clientSignal,
        extraHeaders,
        autoselectReason,
        fallbacks,
        // Autoselects met as rotation entries are decided when (and only if) the rotation picks one.
        ...(resolution.kind === 'rotation'
          ? { expand: (autoselect: IndexedAutoselect) => expandAutoselect(autoselector, autoselect, expansionCtx) }
          : {}),
      });
    } finally {
      if (holdKey !== null) holds.delete(holdKey);
    }
  }

  /** The per-minute limits that apply, or null when none does (no limiter, no limits: no await). */
  function rateLimitChecks(principal: Principal): Array<[string, number]> | null {
    if (deps.rateLimiter === undefined) return null;
    const tokenRpm = principal.token.limits?.requestsPerMinute;
    const userRpm = principal.user.limits?.requestsPerMinute;
    if (tokenRpm === undefined && userRpm === undefined) return null;
    const checks: Array<[string, number]> = [];
    if (tokenRpm !== undefined) checks.push([`token:${principal.token.id}`, tokenRpm]);
    if (userRpm !== undefined) checks.push([`user:${principal.user.id}`, userRpm]);
    return checks;
  }

  async function rateLimit(checks: Array<[string, number]>): Promise<GatewayError | null> {
    const limiter = deps.rateLimiter;
    if (limiter === undefined) return null;
    for (const [key, limit] of checks) {
      let decision: Awaited<ReturnType<RateLimiter['hit']>>;
      try {
        decision = await limiter.hit(key, limit, 60);
      } catch (error) {
        // Fail open: a limiter outage (Redis away) must not take the API down with it.
        deps.logger.warn({ err: error, key }, 'rate limiter unavailable; request allowed');
        continue;
      }
      if (!decision.allowed)
        return new GatewayError(
          'RATE_LIMITED',
          `Rate limit of ${limit} requests per minute reached; retry in ${decision.retryAfterS} s.`,
          { retryAfterS: decision.retryAfterS, wireCode: 'rate_limit_exceeded' },
        );
    }
    return null;
  }

  function serveModels(
    res: ServerResponse,
    current: SnapshotIndex,
    user: SnapshotUser,
    id: string | null,
    headers: Record<string, string>,
  ): void {
    const created = Math.floor(current.snapshot.createdAt / 1000);
    if (id !== null) {
      const r = resolveRoute(current, { user }, id);
      if (!r.ok)
        return sendError(
          res,
          new GatewayError('NOT_FOUND', `The model "${id}" does not exist or you do not have access to it.`, {
            wireCode: 'model_not_found',
          }),
          headers,
        );
      return sendJson(res, 200, { id, object: 'model', created, owned_by: 'aisbf' }, headers);
    }
    let body = modelLists.get(user.id);
    if (body === undefined) {
      body = JSON.stringify({
        object: 'list',
        data: listRoutes(current, { user }).map((name) => ({ id: name, object: 'model', created, owned_by: 'aisbf' })),
      });
      modelLists.set(user.id, body);
    }
    res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  return {
    handle,
    matches: (req) => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      return (
        path === '/healthz' ||
        path === '/readyz' ||
        (path === '/metrics' && deps.exposeMetrics !== false) ||
        parsePath(path) !== null
      );
    },
    setSnapshot(snapshot) {
      index = indexSnapshot(snapshot);
      resolve = createRouteResolver(index);
      modelLists = new Map();
      metrics.snapshotLoaded(snapshot.version);
      snapshotCreatedAt = snapshot.createdAt;
    },
    ready: () => index !== null && !closed,
    metrics: () => metrics.text(),
    async close() {
      closed = true;
      observer.close();
      autoselector.close();
      state.close();
      await pools.close();
    },
  };
}

/** A usage event for requests that never reached a backend. */
function usageRecord(r: {
  at: number;
  userId: string;
  tokenId: string;
  route: string;
  status: number;
  attempts: UsageAttempt[];
  autoselectReason: string | null;
  endpoint?: ProxyEndpoint;
}): UsageEvent {
  return {
    id: randomUUID(),
    requestId: randomUUID(),
    at: r.at,
    userId: r.userId,
    tokenId: r.tokenId,
    route: r.route.slice(0, 400),
    provider: r.attempts.at(-1)?.provider ?? null,
    providerOwnerId: null,
    model: r.attempts.at(-1)?.model ?? null,
    endpoint: r.endpoint ?? 'chat.completions',
    stream: false,
    status: r.status,
    outcome: r.status < 400 ? 'ok' : 'error',
    promptTokens: 0,
    completionTokens: 0,
    estimated: true,
    latencyMs: 0,
    ttfbMs: null,
    attempts: r.attempts,
    autoselectReason: r.autoselectReason,
  };
}

function refuse(req: IncomingMessage, res: ServerResponse, error: GatewayError, headers: Record<string, string>): void {
  req.resume();
  sendError(res, error, headers);
}

/** Route names come from clients: keep header values printable ASCII. */
function safeHeader(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 400);
}
