import { Counter, type Registry } from 'prom-client';
import type { CachedAnswer, ResponseCacheStore } from '@aisbf/core';
import { estimateTokens, readUsage } from '../proxy/chunk-facts';
import type { ProxyCall, ServeDeps } from '../proxy/proxy-call';
import { headerSafe, serveProxy } from '../proxy/serve-proxy';
import { responseCacheKey } from './cache-key';
import { cachePolicy, type CachePolicy } from './cache-policy';
import type { CacheTap, ServedIdentity } from './cache-tap';
import { chatAnswerAsSse, completeChatAnswer, reassembleChatStream } from './chat-answer';
import { usageEventId } from '../usage-event-id';

export type CacheResult = 'hit' | 'miss' | 'bypass';

export interface ResponseCache {
  readonly store: ResponseCacheStore;
  count(route: string, result: CacheResult): void;
}

/** Null without a store: the data plane then never caches (docs/cache.md, `responseCache?` absent). */
export function createResponseCache(deps: {
  store: ResponseCacheStore | undefined;
  registry: Registry;
}): ResponseCache | null {
  if (deps.store === undefined) return null;
  const counter = new Counter({
    name: 'aisbf_response_cache_requests_total',
    help: 'Chat requests on cache-enabled routes by canonical route and result (hit, miss, bypass)',
    labelNames: ['route', 'result'] as const,
    registers: [deps.registry],
  });
  return { store: deps.store, count: (route, result) => counter.inc({ route, result }) };
}

/**
 * serveProxy with the exact-match response cache in front (docs/cache.md): on a hit the stored
 * answer is replayed (as JSON or SSE, whichever the client asked) without touching a backend; on
 * a miss the proxy runs with a tap that stores the answer once it is complete.
 */
export function serveCachedProxy(
  cache: ResponseCache | null,
  deps: ServeDeps,
  header: string | string[] | undefined,
  call: ProxyCall,
): Promise<void> {
  if (cache === null) return serveProxy(deps, call);
  const policy = cachePolicy({
    endpoint: call.endpoint,
    resolution: call.resolution,
    hasFallbacks: (call.fallbacks?.length ?? 0) > 0,
    header,
  });
  // Not async itself: a route without a cache gets serveProxy's own promise, not one wrapped
  // around it (docs/benchmarks.md "The request's critical path").
  if (policy.mode === 'off') return serveProxy(deps, call);
  return serveWithCache(cache, deps, call, policy);
}

async function serveWithCache(
  cache: ResponseCache,
  deps: ServeDeps,
  call: ProxyCall,
  policy: Exclude<CachePolicy, { mode: 'off' }>,
): Promise<void> {
  const route = call.resolution.route;
  if (policy.mode === 'bypass') {
    cache.count(route, 'bypass');
    return serveProxy(deps, { ...call, extraHeaders: { ...call.extraHeaders, 'x-aisbf-cache': 'bypass' } });
  }
  const key = responseCacheKey({
    userId: call.user.id,
    endpoint: call.endpoint,
    resolution: call.resolution,
    body: call.body,
  });
  if (!policy.refresh) {
    let hit: CachedAnswer | null = null;
    try {
      hit = await cache.store.get(key);
    } catch (error) {
      // Fail open: a cache outage costs upstream calls, never answers.
      deps.logger.warn({ err: error, requestId: call.requestId }, 'response cache unavailable; serving from upstream');
    }
    const answer = hit === null ? null : completeChatAnswer(hit.body);
    if (hit !== null && answer !== null) {
      cache.count(route, 'hit');
      replay(deps, call, hit, answer);
      return;
    }
  }
  cache.count(route, 'miss');
  const tap = createStoringTap(cache.store, key, policy.ttlMs, deps, call);
  return serveProxy(deps, { ...call, extraHeaders: { ...call.extraHeaders, 'x-aisbf-cache': 'miss' }, cacheTap: tap });
}

function replay(deps: ServeDeps, call: ProxyCall, hit: CachedAnswer, answer: Record<string, unknown>): void {
  const stream = call.body['stream'] === true;
  const headers: Record<string, string> = {
    'x-request-id': call.requestId,
    'x-aisbf-route': headerSafe(call.routeHeader),
    'x-aisbf-attempts': '0',
    'x-aisbf-overhead-ms': Math.max(0, performance.now() - call.perfStart).toFixed(3),
    ...call.extraHeaders,
    'x-aisbf-provider': hit.provider,
    'x-aisbf-model': headerSafe(hit.model),
    'x-aisbf-cache': 'hit',
    // A cache hit costs nothing (docs/usage.md); the usage record says costMicros 0.
    'x-aisbf-cost': '0.000000',
  };
  if (stream) {
    const includeUsage =
      (call.body['stream_options'] as { include_usage?: unknown } | undefined)?.include_usage === true;
    const text = chatAnswerAsSse(answer, includeUsage);
    call.res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'content-length': Buffer.byteLength(text),
    });
    call.res.end(text);
  } else {
    call.res.writeHead(200, {
      ...headers,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(hit.body),
    });
    call.res.end(hit.body);
  }
  const elapsed = Math.max(0, deps.clock() - call.startedAt);
  deps.usageSink.emit({
    id: usageEventId(),
    requestId: call.requestId,
    at: call.startedAt,
    userId: call.user.id,
    tokenId: call.token.id,
    route: call.requestedRoute.slice(0, 400),
    provider: hit.provider,
    providerOwnerId: hit.providerOwnerId,
    model: hit.model,
    endpoint: call.endpoint,
    stream,
    status: 200,
    outcome: 'ok',
    // The tokens the answer holds, for the record; the upstream cost of a hit is zero.
    promptTokens: hit.promptTokens,
    completionTokens: hit.completionTokens,
    estimated: hit.estimated,
    latencyMs: elapsed,
    ttfbMs: elapsed,
    attempts: [],
    autoselectReason: call.autoselectReason ?? null,
    costMicros: 0,
    cacheHit: true,
  });
}

/** Collects what the proxy relayed and stores it once, only if it is a complete answer. */
function createStoringTap(
  store: ResponseCacheStore,
  key: string,
  ttlMs: number,
  deps: ServeDeps,
  call: ProxyCall,
): CacheTap {
  const chunks: Array<Record<string, unknown>> = [];
  const save = (body: string, answer: Record<string, unknown>, served: ServedIdentity): void => {
    if (served.provider === null || served.model === null) return;
    const usage = readUsage(answer['usage']);
    const value: CachedAnswer = {
      v: 1,
      provider: served.provider,
      providerOwnerId: served.providerOwnerId,
      model: served.model,
      body,
      promptTokens: usage?.prompt ?? estimateTokens(JSON.stringify(call.body['messages'] ?? '').length),
      completionTokens: usage?.completion ?? estimateTokens(body.length / 2),
      estimated: usage === null,
      storedAt: deps.clock(),
    };
    store
      .set(key, value, ttlMs)
      .catch((error: unknown) =>
        deps.logger.warn({ err: error, requestId: call.requestId }, 'response cache write failed'),
      );
  };
  return {
    whole(body, served) {
      const text = body.toString('utf8');
      const answer = completeChatAnswer(text);
      if (answer !== null) save(text, answer, served);
    },
    chunk(json) {
      chunks.push(json);
    },
    streamEnded(served) {
      const whole = reassembleChatStream(chunks);
      chunks.length = 0;
      if (whole === null) return;
      const text = JSON.stringify(whole);
      if (completeChatAnswer(text) !== null) save(text, whole, served);
    },
  };
}
