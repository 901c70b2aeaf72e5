import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  computeCostMicros,
  formatCost,
  safeJsonParse,
  type GatewayError,
  type UsageAttempt,
  type UsageEvent,
} from '@aisbf/core';
import { sendError } from '../http/openai-error';
import type { AttemptPlan } from './attempt-plan';
import { estimateTokens, readUsage, type UsageCounts } from './chunk-facts';
import { UPSTREAM_PATHS, type ProxyCall, type ServeDeps } from './proxy-call';
import type { Tally } from './relay-state';
import { relayPassthrough } from './relay-passthrough';
import { relayStream } from './relay-stream';
import { runRoutes, servedFields, type Served } from './run-attempts';
import { usageEventId } from '../usage-event-id';

/** What the usage event says about the answer that served. */
interface ServedUsage {
  served: Served;
  tokens: Pick<UsageEvent, 'promptTokens' | 'completionTokens' | 'estimated'>;
  ttfbMs: number;
  costMicros: number | null;
  autoselectReason: string | null;
}

/** Serves one proxied request end to end: attempts, the answer (or error), one usage event. */
export async function serveProxy(deps: ServeDeps, call: ProxyCall): Promise<void> {
  const stream = call.endpoint !== 'embeddings' && call.body['stream'] === true;
  const attempts: UsageAttempt[] = [];
  const plan: AttemptPlan = {
    resolution: call.resolution,
    upstreamPath: UPSTREAM_PATHS[call.endpoint],
    body: call.body,
    stream,
    startedAt: call.startedAt,
    hops: call.hops,
    clientSignal: call.clientSignal,
    selection: {
      state: deps.state,
      health: deps.health,
      now: call.startedAt,
      random: deps.random,
      excluded: new Set(),
      minContext: null,
      requirePrefill: false,
      usedEarliest: false,
      callerIsAdmin: call.user.role === 'admin',
    },
    attempts,
    // Plain fields, undefined when absent: one object shape, no spreads on the request's path
    // (docs/benchmarks.md "The request's critical path").
    expand: call.expand,
    autoselectLimits: call.autoselectLimits,
    summariser: call.summariser,
    client:
      call.client === undefined
        ? undefined
        : { dialect: call.client.dialect, body: call.client.body, headers: call.client.headers },
  };
  const fallbacks = call.fallbacks;
  const result = await runRoutes(
    deps,
    plan,
    fallbacks === undefined || fallbacks.length === 0 ? [call.resolution] : [call.resolution, ...fallbacks],
  );
  /** The request's one usage event; `detail` when something served (one object shape, no spreads). */
  const usage = (status: number, outcome: UsageEvent['outcome'], detail?: ServedUsage): void => {
    const tokens = detail?.tokens;
    deps.usageSink.emit({
      id: usageEventId(),
      requestId: call.requestId,
      at: call.startedAt,
      userId: call.user.id,
      tokenId: call.token.id,
      route: call.requestedRoute.slice(0, 400),
      provider: detail === undefined ? null : detail.served.leaf.target.provider.id,
      providerOwnerId: detail === undefined ? null : detail.served.leaf.target.provider.ownerId,
      model: detail === undefined ? null : detail.served.leaf.target.model,
      endpoint: call.endpoint,
      stream,
      status,
      outcome,
      promptTokens: tokens?.promptTokens ?? 0,
      completionTokens: tokens?.completionTokens ?? 0,
      estimated: tokens?.estimated ?? false,
      latencyMs: Math.max(0, deps.clock() - call.startedAt),
      ttfbMs: detail === undefined ? null : detail.ttfbMs,
      attempts,
      autoselectReason: detail === undefined ? (call.autoselectReason ?? null) : detail.autoselectReason,
      // Failed attempts and answers nothing served cost 0 (docs/usage.md).
      costMicros: detail === undefined ? 0 : detail.costMicros,
      condensed: detail?.served.condensed ?? null,
    });
  };

  if (!result.ok) {
    if (result.clientGone) {
      usage(499, 'client_disconnect');
      return;
    }
    const headers = baseHeaders(call, attempts.length, performance.now() - call.perfStart - result.waitedMs);
    const rotation = call.resolution.kind === 'rotation' ? call.resolution : null;
    if (result.passthrough !== null) {
      const p = result.passthrough;
      headers['content-type'] = p.contentType;
      headers['content-length'] = String(p.body.length);
      call.res.writeHead(p.status, headers);
      call.res.end(p.body);
      usage(p.status, 'error');
    } else if (rotation?.rotation.config.notifyerrors === true && call.endpoint === 'chat.completions') {
      // AISBF's notifyerrors: chat UIs that show nothing but the answer get the failure as text.
      writeNotice(call.res, headers, stream, result.error, call.requestedRoute);
      usage(200, 'error');
    } else {
      sendError(call.res, result.error, headers);
      usage(result.error.status, 'error');
    }
    return;
  }

  const served = result.served;
  const commitAt = deps.clock();
  const autoselectReason = call.autoselectReason ?? served.autoselect?.reason ?? null;
  const headers = servedHeaders(call, served, attempts, performance.now() - call.perfStart - served.waitedMs);
  // The backend speaks the client's dialect: its answer goes to the client's own response as it came.
  const passthrough = served.passthrough != null && call.client !== undefined ? call.client.passthrough : null;
  if (!stream) {
    const res = passthrough?.res ?? call.res;
    const body = served.body!;
    const reported = served.usage !== undefined ? served.usage : usageOfBody(body);
    const tally: Tally =
      reported === null
        ? { promptTokens: null, completionTokens: estimateTokens(body.length / 2), estimated: true }
        : {
            promptTokens: reported.prompt,
            completionTokens: reported.completion,
            estimated: false,
            cachedPromptTokens: reported.cached,
          };
    const tokens = finalTokens(call, tally);
    const costMicros = served.status === 200 ? costOf(served, tokens, tally.cachedPromptTokens) : 0;
    headers['x-aisbf-cost'] = formatCost(costMicros);
    headers['content-type'] = String(served.headers['content-type'] ?? 'application/json');
    headers['content-length'] = String(body.length);
    res.writeHead(served.status, headers);
    res.end(body);
    served.release();
    // A vendor's own answer is not a canonical one: the cache stores canonical answers only.
    if (served.status === 200 && passthrough === null) call.cacheTap?.whole(body, servedFields(served));
    const last = attempts[attempts.length - 1];
    if (last !== undefined && reported !== null) {
      last.promptTokens = reported.prompt;
      last.completionTokens = reported.completion;
    }
    usage(served.status, 'ok', { served, tokens, ttfbMs: commitAt - call.startedAt, costMicros, autoselectReason });
    return;
  }
  // Streams: headers leave before the cost is known, so it is in the usage record only (docs/usage.md).
  const end =
    passthrough === null
      ? await relayStream(deps, call, plan, served, headers)
      : { served, ...(await relayPassthrough(deps, call, plan, served, headers, passthrough)) };
  const tokens = finalTokens(call, end.tally);
  usage(200, end.outcome, {
    served: end.served,
    tokens,
    ttfbMs: commitAt - call.startedAt,
    costMicros: costOf(end.served, tokens, end.tally.cachedPromptTokens),
    autoselectReason,
  });
}

/** Priced by the model that actually served (after a failover, the fallback's); null = unpriced. */
function costOf(
  served: Served,
  tokens: Pick<UsageEvent, 'promptTokens' | 'completionTokens'>,
  cachedPromptTokens = 0,
): number | null {
  return computeCostMicros(served.leaf.target.modelInfo?.pricing, {
    promptTokens: tokens.promptTokens,
    completionTokens: tokens.completionTokens,
    cachedPromptTokens,
  });
}

function finalTokens(
  call: ProxyCall,
  tally: Tally,
): Pick<UsageEvent, 'promptTokens' | 'completionTokens' | 'estimated'> {
  if (tally.promptTokens !== null)
    return { promptTokens: tally.promptTokens, completionTokens: tally.completionTokens, estimated: tally.estimated };
  const input = call.body['messages'] ?? call.body['prompt'] ?? call.body['input'];
  return {
    promptTokens: estimateTokens(JSON.stringify(input ?? '').length),
    completionTokens: tally.completionTokens,
    estimated: true,
  };
}

/** Model names come from configuration and may hold any character; header values may not. */
export const headerSafe = (value: string): string => (/^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value));

function baseHeaders(call: ProxyCall, attempts: number, overheadMs: number): Record<string, string> {
  return {
    'x-request-id': call.requestId,
    'x-aisbf-route': headerSafe(call.routeHeader),
    'x-aisbf-attempts': String(attempts),
    'x-aisbf-overhead-ms': Math.max(0, overheadMs).toFixed(3),
    ...call.extraHeaders,
  };
}

function servedHeaders(
  call: ProxyCall,
  served: Served,
  attemptsList: readonly UsageAttempt[],
  overheadMs: number,
): Record<string, string> {
  const headers = baseHeaders(call, attemptsList.length, overheadMs);
  headers['x-aisbf-provider'] = served.leaf.target.provider.id;
  headers['x-aisbf-model'] = headerSafe(served.leaf.target.model);
  if (served.condensed !== undefined) headers['x-aisbf-condensed'] = served.condensed;
  // Served through an autoselect entry of the rotation: its decision, unless a top-level one is named.
  if (served.autoselect !== undefined) {
    headers['x-aisbf-autoselect-reason'] ??= served.autoselect.reason;
    if (served.autoselect.findings.length > 0)
      headers['x-aisbf-privacy-findings'] ??= served.autoselect.findings.join(',');
  }
  // Failover = served by something other than the first entry tried (across autoselect routes
  // too); a same-entry retry is not a failover.
  const first = attemptsList[0];
  if (
    first !== undefined &&
    (first.provider !== served.leaf.target.provider.id || first.model !== served.leaf.target.model)
  ) {
    headers['x-aisbf-failover'] = 'true';
    headers['x-aisbf-preferred-provider'] = first.provider;
  }
  return headers;
}

/**
 * The `usage` object of a non-stream answer, without parsing the whole body: OpenAI-compatible
 * servers put it last, so the last `"usage"` key is found and only its object is parsed.
 */
function usageOfBody(body: Buffer): UsageCounts | null {
  const text = body.toString('latin1');
  const at = text.lastIndexOf('"usage"');
  if (at < 0) return null;
  const start = text.indexOf('{', at);
  if (start < 0) return null;
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b) depth++;
    else if (c === 0x7d && --depth === 0) {
      const parsed = safeJsonParse(text.slice(start, i + 1));
      return parsed.ok ? readUsage(parsed.value) : null;
    }
  }
  return null;
}

function writeNotice(
  res: ServerResponse,
  headers: Record<string, string>,
  stream: boolean,
  error: GatewayError,
  route: string,
): void {
  const text = `aisbf could not serve "${route}": ${error.message}`;
  const id = `chatcmpl-aisbf-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  if (stream) {
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = {
      id,
      object: 'chat.completion.chunk',
      created,
      model: route,
      choices: [{ index: 0, delta: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    };
    res.end(`data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`);
    return;
  }
  const body = JSON.stringify({
    id,
    object: 'chat.completion',
    created,
    model: route,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  });
  res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
