import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import {
  GatewayError,
  boundUsageEvent,
  assembleSnapshot,
  configPartsOf,
  preloadTokenCounters,
  snapshotEncodings,
  type BudgetLedger,
  type ConfigParts,
  type CooldownSync,
  type PrefillRefusals,
  type EndpointPolicy,
  type RateLimiter,
  type RequestSpacer,
  type ResponseCacheStore,
  type ResponseStore,
  type Snapshot,
  type UsageSink,
} from '@aisbf/core';
import type { SecretBox } from '@aisbf/secrets';
import { createCredentialReader } from './auth';
import { createConfigView, type ConfigView } from './config-view';
import { createAutoselector } from './autoselect/index';
import { createBudgetGuard } from './budget/index';
import { createBudgetHolds } from './budget/budget-holds';
import { createResponseCache } from './cache/serve-cached-proxy';
import { createDataPlaneMetrics } from './data-plane-metrics';
import type { PartStats } from './part-metrics';
import { DEFAULT_MAX_HOPS } from './http/hop-count';
import { createModelsEndpoint } from './http/models-endpoint';
import { sendJson } from './http/openai-error';
import { errorDialectOf, parsePath } from './http/parse-path';
import { sendDialectError } from './http/dialect-error';
import { DEFAULT_BODY_LIMITS, type BodyLimits } from './http/read-json-body';
import { createObserver, logUnattributed, requestLogger } from './observability/index';
import type { ProviderFlag } from './proxy/attempt-plan';
import { createAutoselectBridge, type AutoselectCtx } from './proxy/autoselect-bridge';
import type { ServeDeps } from './proxy/proxy-call';
import { createRoutingState } from './proxy/routing-state';
import type { ProviderHealth } from './proxy/select-leaf';
import { createTargetResolver } from './proxy/upstream-target';
import { createRateLimitGate } from './rate-limit-gate';
import { serveRequest, type RequestContext } from './serve-request';
import { createUpstreamPools } from './upstream/upstream-pools';
import type { ResolveHost } from './upstream/endpoint-guard';
import { createInFlight } from './in-flight';
import { createSummariser } from './context/summariser';
import { createSummaryCache } from './context/summary-cache';
import { usageRecord } from './usage-record';

export interface DataPlaneDeps {
  secretBox: Pick<SecretBox, 'decrypt'>;
  usageSink: UsageSink;
  /**
   * Which addresses user-owned providers may reach, checked on every new connection after DNS
   * (docs/endpoint-policy.md); absent or null = not enforced (embedders and tests).
   */
  endpointPolicy?: EndpointPolicy | null;
  /** DNS for the endpoint policy; tests inject one (no real DNS). */
  resolveHost?: ResolveHost;
  cooldownSync?: CooldownSync;
  /** Entries that refused a prefill, remembered by the cluster (Redis) or across restarts (the db). */
  prefillRefusals?: PrefillRefusals;
  rateLimiter?: RateLimiter;
  /**
   * AISBF's `rate_limit`: seconds between requests to a model or provider (docs/context.md "Rate
   * limit"): memory all-in-one, Redis in cluster mode; absent = not enforced. Not closed by `close()`.
   */
  spacer?: RequestSpacer;
  /** Day/month quotas and cost budgets (docs/usage.md): memory ledger all-in-one, Redis in cluster mode. */
  budgetLedger?: BudgetLedger;
  logger: Logger;
  clock?: () => number;
  random?: () => number;
  limits?: Partial<BodyLimits>;
  /** AISBF_MAX_HOPS: gateways a request may have passed before it is refused with 508 (default 3, http/hop-count.ts). */
  maxHops?: number;
  /** Sockets per upstream origin (undici Pool `connections`); default unbounded (see upstream-pools.ts). */
  upstreamConnections?: number | null;
  /** Serve `GET /metrics` from `handle` (default true); all-in-one may merge `metrics()` itself. */
  exposeMetrics?: boolean;
  /** Exact-match response cache (docs/cache.md); absent = no caching. Not closed by `close()`. */
  responseCache?: ResponseCacheStore;
  /**
   * Stored Responses (`store`, `previous_response_id`; docs/clients.md): memory all-in-one, Redis in
   * cluster mode; absent = nothing is stored and every `previous_response_id` is unknown.
   */
  responseStore?: ResponseStore;
  /**
   * Provider and model health (the bus `HealthBoard`): a rotation skips an entry judged unhealthy
   * for at most its error_cooldown, then probes it (docs/reliability.md "Health").
   */
  health?: ProviderHealth;
  /** Called when an upstream answers 401/403/404 (wrong key or model), e.g. to mark it in health. */
  onProviderFlagged?: (flag: ProviderFlag) => void;
  /** Whether the config bus is connected (the `aisbf_bus_connected` gauge); absent = no gauge. */
  busConnected?: () => boolean;
  /** Spans go here; default the global @opentelemetry/api tracer (no-op unless an SDK is registered). */
  tracer?: Tracer;
  /**
   * Load the tokenizers each snapshot's window checks need as soon as it arrives, in the background
   * (docs/context.md "Costs"), so the first request needing one is checked rather than sent
   * unchecked while it loads. Only models with a known window or `max_request_tokens` count: a
   * rank table costs tens of MiB, and no other path needs one ahead of time (`snapshotEncodings`).
   * The roles turn it on; tests and embedders load on first use.
   */
  preloadTokenCounters?: boolean;
  /** How long `close()` waits for requests still being served (default 10 s). */
  drainMs?: number;
  /** What the config source holds, for `/metrics` (docs/cluster.md "What a node holds"); absent = not shown. */
  partStats?: () => PartStats;
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
  /** Serves from one whole snapshot (every user held; tests, a snapshot file). */
  setSnapshot(snapshot: Snapshot): void;
  /**
   * Serves from a partitioned config source (docs/cluster.md "Partitioned propagation"): the
   * global part always, user parts loaded on first use. Set once; the source moves forward itself.
   */
  setConfig(parts: ConfigParts): void;
  /** True once the global part is loaded (`/readyz`). */
  ready(): boolean;
  /** Prometheus text of this instance's metrics. */
  metrics(): Promise<string>;
  /**
   * Waits (up to `drainMs`) for the requests being served to end, each with its usage event, then
   * releases timers and upstream sockets. Close the HTTP server first, the usage sink after.
   */
  close(): Promise<void>;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function createDataPlane(deps: DataPlaneDeps): DataPlane {
  const clock = deps.clock ?? Date.now;
  const random = deps.random ?? Math.random;
  const pools = createUpstreamPools({
    connections: deps.upstreamConnections ?? null,
    guard:
      deps.endpointPolicy == null
        ? null
        : { policy: deps.endpointPolicy, ...(deps.resolveHost === undefined ? {} : { resolveHost: deps.resolveHost }) },
  });
  let view: ConfigView | null = null;
  const metrics = createDataPlaneMetrics({
    health: deps.health,
    configVersion: () => view?.parts.version() ?? null,
    partStats: deps.partStats,
    clock,
  });
  // `state` is read only at scrape time, after it exists.
  const openCooldowns = (): number => state.openCount(clock());
  const requestLines = requestLogger(deps.logger);
  const observer = createObserver({
    registry: metrics.registry,
    logger: requestLines,
    clock,
    openCooldowns,
    waitingForSlot: () => state.waiting(),
    snapshotCreatedAt: () => view?.parts.createdAt() ?? null,
    busConnected: deps.busConnected,
    tracer: deps.tracer,
  });
  const holds =
    deps.budgetLedger === undefined
      ? null
      : createBudgetHolds(createBudgetGuard({ ledger: deps.budgetLedger, logger: deps.logger }));
  const rateLimits = createRateLimitGate(deps.rateLimiter, deps.logger);
  // Every request's usage event also feeds the metrics, its log line and its trace: one place counts requests.
  const usageSink: UsageSink = {
    emit(emitted) {
      // A tenant's long rotation must not make events every shared stage carries unbounded (core's boundAttempts).
      const event = boundUsageEvent(emitted);
      metrics.record(event);
      observer.record(event);
      deps.usageSink.emit(event);
      holds?.settle(event);
      rateLimits.charge(event);
    },
    flush: () => deps.usageSink.flush(),
    close: () => deps.usageSink.close(),
  };
  const state = createRoutingState({
    cooldownSync: deps.cooldownSync,
    prefillRefusals: deps.prefillRefusals,
    clock,
    onOpen: () => metrics.cooldownOpened(),
  });
  /** Encodings whose load was started here: each is loaded (and logged) once per process. */
  const preloading = new Set<string>();
  const preload = (snapshot: Snapshot): void => {
    const encodings = snapshotEncodings(snapshot).filter((e) => !preloading.has(e));
    if (encodings.length === 0) return;
    for (const e of encodings) preloading.add(e);
    const started = performance.now();
    preloadTokenCounters(encodings).then(
      () => deps.logger.info({ encodings, ms: Math.round(performance.now() - started) }, 'token counters preloaded'),
      (error: unknown) =>
        deps.logger.warn({ err: error, encodings }, 'token counters not preloaded; loaded on first use'),
    );
  };
  const targets = createTargetResolver({ pools, decrypt: (sealed) => deps.secretBox.decrypt(sealed) });
  const serveDeps: ServeDeps = {
    state,
    targets,
    clock,
    random,
    logger: deps.logger,
    usageSink,
    health: deps.health,
    spacer: deps.spacer,
    onMalformed: (n) => metrics.malformedChunks(n),
    onAttemptEnded: (attempt) => observer.attemptEnded(attempt),
    onProviderFlagged: (flag) => {
      metrics.providerFlagged(flag.providerId, flag.status);
      deps.onProviderFlagged?.(flag);
    },
  };
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
  let closed = false;
  const loaded = (): boolean => view !== null && view.parts.global() !== null;
  const models = createModelsEndpoint();
  const inFlight = createInFlight();
  /** Responses whose request emits a usage event (and so its log line through the observer). */
  const attributable = new WeakSet<ServerResponse>();
  const bodyLimits = { ...DEFAULT_BODY_LIMITS, ...deps.limits };
  const ctx: RequestContext = {
    clock,
    usageSink,
    bodyLimits,
    responses: {
      store: deps.responseStore ?? null,
      maxStoredChars: bodyLimits.maxBodyBytes,
      clock,
      logger: deps.logger,
    },
    autoselector,
    holds,
    responseCache: createResponseCache({ store: deps.responseCache, registry: metrics.registry }),
    serveDeps,
    config: () => view,
    credentials: createCredentialReader(),
    rateLimits,
    models,
    markAttributable: (res) => attributable.add(res),
    maxHops: deps.maxHops ?? DEFAULT_MAX_HOPS,
    summariser: createSummariser({ deps: serveDeps, cache: createSummaryCache(), holds, inFlight: new Map() }),
  };

  const handle = (req: IncomingMessage, res: ServerResponse): boolean => {
    const path = pathOf(req);
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
      if (!loaded() || closed)
        sendJson(res, 503, { status: 'not ready', reason: closed ? 'closing' : 'no config snapshot loaded yet' });
      else sendJson(res, 200, { status: 'ready', version: view?.parts.version() ?? null });
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
        logUnattributed(requestLines, {
          requestId,
          endpoint: parsed.op.kind === 'proxy' ? parsed.op.endpoint : parsed.op.kind,
          status: res.statusCode,
          latencyMs: performance.now() - arrived,
        });
    });
    inFlight.add();
    serveRequest(ctx, req, res, parsed, requestId)
      .catch((error: unknown) => {
        deps.logger.error({ err: error, requestId }, 'data plane request failed');
        sendDialectError(
          res,
          new GatewayError('INTERNAL', 'Internal error; the request id is in x-request-id.', {
            wireCode: 'internal_error',
          }),
          { 'x-request-id': requestId },
          errorDialectOf(parsed.op, req.headers),
        );
      })
      .finally(inFlight.done);
    return true;
  };

  return {
    handle,
    matches: (req) => {
      const path = pathOf(req);
      return (
        path === '/healthz' ||
        path === '/readyz' ||
        (path === '/metrics' && deps.exposeMetrics !== false) ||
        parsePath(path) !== null
      );
    },
    setSnapshot(snapshot) {
      if (deps.preloadTokenCounters === true) preload(snapshot);
      view = createConfigView(configPartsOf(snapshot));
    },
    setConfig(parts) {
      // The global part's models (user parts' load their encodings on first use).
      const global = parts.global();
      if (deps.preloadTokenCounters === true && global !== null) preload(assembleSnapshot(global, []));
      view = createConfigView(parts);
    },
    ready: () => loaded() && !closed,
    metrics: () => metrics.text(),
    async close() {
      closed = true;
      // Requests still running emit their usage event when they end: wait for them (bounded), so
      // the caller closes its usage sink only after the last event (none lost on SIGTERM).
      await inFlight.drained(deps.drainMs ?? 10_000);
      observer.close();
      autoselector.close();
      state.close();
      await pools.close();
    },
  };
}

/** The request's path without its query. */
function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}
