import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { computeCostMicros, formatCost, safeJsonParse, type GatewayError, type Resolution, type SnapshotToken, type SnapshotUser, type UsageAttempt, type UsageEvent, type UsageSink } from '@aisbf/core';
import type { CacheTap } from '../cache/cache-tap';
import { sendError } from '../http/openai-error';
import { chunkFacts, estimateTokens, readUsage, type UsageCounts } from './chunk-facts';
import { learnChunkTemplate, readTemplatedText, type ChunkTemplate } from './chunk-template';
import { runAttempts, type AttemptDeps, type AttemptPlan, type Served } from './run-attempts';

export type ProxyEndpoint = 'chat.completions' | 'completions' | 'embeddings';

export const UPSTREAM_PATHS: Readonly<Record<ProxyEndpoint, string>> = {
  'chat.completions': '/chat/completions',
  completions: '/completions',
  embeddings: '/embeddings',
};

export interface ProxyCall {
  res: ServerResponse;
  requestId: string;
  startedAt: number;
  /** `performance.now()` when the request arrived, for x-aisbf-overhead-ms. */
  perfStart: number;
  user: SnapshotUser;
  token: SnapshotToken;
  /** The route name as the client wrote it (usage), and the canonical one (headers). */
  requestedRoute: string;
  routeHeader: string;
  endpoint: ProxyEndpoint;
  body: Record<string, unknown>;
  resolution: Resolution;
  clientSignal: AbortSignal;
  extraHeaders?: Record<string, string>;
  autoselectReason?: string | null;
  /** Autoselect: routes to fall through to (before the first byte) after `resolution` failed. */
  fallbacks?: Resolution[];
  /** Response cache (issue 12): told what was relayed, it stores complete answers only. */
  cacheTap?: CacheTap;
}

export interface ServeDeps extends AttemptDeps {
  usageSink: UsageSink;
  onMalformed?: (count: number) => void;
}

interface Tally {
  promptTokens: number | null;
  completionTokens: number;
  estimated: boolean;
  /** Prompt tokens the backend served from its prompt cache (priced at `cached_prompt`). */
  cachedPromptTokens?: number;
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
    clientSignal: call.clientSignal,
    selection: { state: deps.state, health: deps.health, now: call.startedAt, random: deps.random, excluded: new Set(), minContext: null, requirePrefill: false, usedEarliest: false },
    attempts,
  };
  let result = await runAttempts(deps, plan);
  for (const next of call.fallbacks ?? []) {
    if (result.ok || result.clientGone || result.passthrough !== null) break;
    plan.resolution = next;
    plan.selection.usedEarliest = false;
    result = await runAttempts(deps, plan);
  }
  const usage = (partial: Partial<UsageEvent> & Pick<UsageEvent, 'status' | 'outcome'>): void => {
    deps.usageSink.emit({
      id: randomUUID(),
      requestId: call.requestId,
      at: call.startedAt,
      userId: call.user.id,
      tokenId: call.token.id,
      route: call.requestedRoute.slice(0, 400),
      provider: null,
      providerOwnerId: null,
      model: null,
      endpoint: call.endpoint,
      stream,
      promptTokens: 0,
      completionTokens: 0,
      estimated: false,
      latencyMs: Math.max(0, deps.clock() - call.startedAt),
      ttfbMs: null,
      attempts,
      autoselectReason: call.autoselectReason ?? null,
      // Failed attempts and answers nothing served cost 0; a served answer overrides it (issue 11).
      costMicros: 0,
      ...partial,
    });
  };

  if (!result.ok) {
    if (result.clientGone) {
      usage({ status: 499, outcome: 'client_disconnect' });
      return;
    }
    const headers = baseHeaders(call, attempts.length, performance.now() - call.perfStart - result.waitedMs);
    const rotation = call.resolution.kind === 'rotation' ? call.resolution : null;
    if (result.passthrough !== null) {
      const p = result.passthrough;
      call.res.writeHead(p.status, { ...headers, 'content-type': p.contentType, 'content-length': p.body.length });
      call.res.end(p.body);
      usage({ status: p.status, outcome: 'error' });
    } else if (rotation?.rotation.config.notifyerrors === true && call.endpoint === 'chat.completions') {
      // AISBF's notifyerrors: chat UIs that show nothing but the answer get the failure as text.
      writeNotice(call.res, headers, stream, result.error, call.requestedRoute);
      usage({ status: 200, outcome: 'error' });
    } else {
      sendError(call.res, result.error, headers);
      usage({ status: result.error.status, outcome: 'error' });
    }
    return;
  }

  const served = result.served;
  const commitAt = deps.clock();
  const headers = servedHeaders(call, served, attempts, performance.now() - call.perfStart - served.waitedMs);
  if (!stream) {
    const body = served.body!;
    const reported = usageOfBody(body);
    const tally: Tally = reported === null ? { promptTokens: null, completionTokens: estimateTokens(body.length / 2), estimated: true } : { promptTokens: reported.prompt, completionTokens: reported.completion, estimated: false, cachedPromptTokens: reported.cached };
    const tokens = finalTokens(call, tally);
    const costMicros = served.status === 200 ? costOf(served, tokens, tally.cachedPromptTokens) : 0;
    headers['x-aisbf-cost'] = formatCost(costMicros);
    call.res.writeHead(served.status, { ...headers, 'content-type': String(served.headers['content-type'] ?? 'application/json'), 'content-length': body.length });
    call.res.end(body);
    served.release();
    if (served.status === 200) call.cacheTap?.whole(body, servedFields(served));
    const last = attempts[attempts.length - 1];
    if (last !== undefined && reported !== null) {
      last.promptTokens = reported.prompt;
      last.completionTokens = reported.completion;
    }
    usage({ ...servedFields(served), ...tokens, status: served.status, outcome: 'ok', ttfbMs: commitAt - call.startedAt, costMicros });
    return;
  }
  // Streams: headers leave before the cost is known, so it is in the usage record only (docs/usage.md).
  const end = await relayStream(deps, call, plan, served, headers);
  const tokens = finalTokens(call, end.tally);
  usage({ ...servedFields(end.served), ...tokens, status: 200, outcome: end.outcome, ttfbMs: commitAt - call.startedAt, costMicros: costOf(end.served, tokens, end.tally.cachedPromptTokens) });
}

/** Priced by the model that actually served (after a failover, the fallback's); null = unpriced. */
function costOf(served: Served, tokens: Pick<UsageEvent, 'promptTokens' | 'completionTokens'>, cachedPromptTokens = 0): number | null {
  return computeCostMicros(served.leaf.target.modelInfo?.pricing, { promptTokens: tokens.promptTokens, completionTokens: tokens.completionTokens, cachedPromptTokens });
}

function servedFields(served: Served): Pick<UsageEvent, 'provider' | 'providerOwnerId' | 'model'> {
  return { provider: served.leaf.target.provider.id, providerOwnerId: served.leaf.target.provider.ownerId, model: served.leaf.target.model };
}

function finalTokens(call: ProxyCall, tally: Tally): Pick<UsageEvent, 'promptTokens' | 'completionTokens' | 'estimated'> {
  if (tally.promptTokens !== null) return { promptTokens: tally.promptTokens, completionTokens: tally.completionTokens, estimated: tally.estimated };
  const input = call.body['messages'] ?? call.body['prompt'] ?? call.body['input'];
  return { promptTokens: estimateTokens(JSON.stringify(input ?? '').length), completionTokens: tally.completionTokens, estimated: true };
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

function servedHeaders(call: ProxyCall, served: Served, attemptsList: readonly UsageAttempt[], overheadMs: number): Record<string, string> {
  const headers = baseHeaders(call, attemptsList.length, overheadMs);
  headers['x-aisbf-provider'] = served.leaf.target.provider.id;
  headers['x-aisbf-model'] = headerSafe(served.leaf.target.model);
  // Failover = served by something other than the first entry tried (across autoselect routes
  // too); a same-entry retry is not a failover.
  const first = attemptsList[0];
  if (first !== undefined && (first.provider !== served.leaf.target.provider.id || first.model !== served.leaf.target.model)) {
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

function writeNotice(res: ServerResponse, headers: Record<string, string>, stream: boolean, error: GatewayError, route: string): void {
  const text = `aisbf could not serve "${route}": ${error.message}`;
  const id = `chatcmpl-aisbf-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  if (stream) {
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = { id, object: 'chat.completion.chunk', created, model: route, choices: [{ index: 0, delta: { role: 'assistant', content: text }, finish_reason: 'stop' }] };
    res.end(`data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`);
    return;
  }
  const body = JSON.stringify({ id, object: 'chat.completion', created, model: route, choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } });
  res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const INTERRUPTED = (message: string): string =>
  `data: ${JSON.stringify({ error: { message, type: 'upstream_error', code: 'upstream_stream_interrupted', param: null } })}\n\n`;

interface StreamEnd {
  served: Served;
  outcome: UsageEvent['outcome'];
  tally: Tally;
}

/**
 * After the first content chunk: bytes flow as the backend sends them, one SSE event at a time.
 * A cut, reset or stall ends with one error event and no [DONE], or, with `midstream: "continue"`,
 * the answer is continued on a prefill-capable entry in the same stream (DESIGN §2).
 */
async function relayStream(deps: ServeDeps, call: ProxyCall, plan: AttemptPlan, first: Served, headers: Record<string, string>): Promise<StreamEnd> {
  const res = call.res;
  const wantsUsage = (call.body['stream_options'] as { include_usage?: unknown } | undefined)?.include_usage === true;
  const canContinue = call.endpoint === 'chat.completions' && call.resolution.kind === 'rotation' && call.resolution.rotation.config.midstream === 'continue';
  res.writeHead(200, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  let served = first;
  let answerId: string | null = null;
  let continuing = false;
  let started = true;
  let delivered = '';
  let partChars = 0;
  let usage: UsageCounts | null = null;
  let malformed = first.malformed;
  const tally: Tally = { promptTokens: null, completionTokens: 0, estimated: false };

  /**
   * Events decoded from one upstream read are written to the client in one `write` (one chunk,
   * one syscall) instead of one per event: bytes still leave as soon as they arrived.
   */
  let out = '';
  const flush = (): Promise<void> | undefined => {
    if (out === '') return undefined;
    const ok = res.write(out);
    out = '';
    return ok ? undefined : drained(res);
  };

  /**
   * The stream's chunk frame once learned (chunk-template.ts): a chunk that matches it is relayed
   * verbatim without JSON.parse. Off while continuing (ids are rewritten) and when the response
   * cache taps the stream (it wants every chunk's JSON). Learning is tried on a few chunks only.
   */
  let template: ChunkTemplate | null = null;
  let learnTries = call.cacheTap === undefined ? 4 : 0;

  /** Returns 'done' at [DONE], 'error' for an upstream error event, else 'more'. */
  const emit = (data: string): 'done' | 'error' | 'more' => {
    if (data === '[DONE]') {
      out += 'data: [DONE]\n\n';
      return 'done';
    }
    if (template !== null && !continuing) {
      const text = readTemplatedText(template, data);
      if (text !== null) {
        if (text !== '') {
          partChars += text.length;
          if (canContinue) delivered += text;
        }
        out += `data: ${data}\n\n`;
        return 'more';
      }
    }
    const facts = chunkFacts(data);
    if (facts === null) {
      malformed++;
      return 'more';
    }
    if (facts.error !== undefined) return 'error';
    if (facts.usage !== null) usage = facts.usage;
    if (!continuing) call.cacheTap?.chunk(facts.json);
    if (facts.usageOnly && !wantsUsage) return 'more';
    let line = data;
    if (continuing) {
      // The continuation's role-only opening chunk would restart the message: drop it.
      if (!started && !facts.hasContent) return 'more';
      started = true;
      if (answerId !== null) {
        facts.json['id'] = answerId;
        line = JSON.stringify(facts.json);
      }
    } else {
      if (answerId === null && typeof facts.json['id'] === 'string') answerId = facts.json['id'];
      // Also after a miss: the opening chunk (with `role`) has a frame of its own, the rest share one.
      if (learnTries > 0) {
        learnTries--;
        template = learnChunkTemplate(data, facts) ?? template;
      }
    }
    if (facts.text !== '') {
      partChars += facts.text.length;
      if (canContinue) delivered += facts.text;
    }
    out += `data: ${line}\n\n`;
    return 'more';
  };

  const settlePart = (outcome: UsageAttempt['outcome']): void => {
    const attempt = [...plan.attempts].reverse().find((a) => a.provider === served.leaf.target.provider.id && a.model === served.leaf.target.model && a.outcome === 'ok');
    const completion = usage?.completion ?? estimateTokens(partChars);
    if (usage === null) tally.estimated = true;
    else {
      tally.promptTokens ??= usage.prompt;
      tally.cachedPromptTokens ??= usage.cached;
    }
    tally.completionTokens += completion;
    if (attempt !== undefined) {
      attempt.outcome = outcome;
      attempt.completionTokens = completion;
      if (usage !== null) attempt.promptTokens = usage.prompt;
    }
    usage = null;
    partChars = 0;
  };

  const finish = (outcome: UsageEvent['outcome']): StreamEnd => {
    served.call.disarm();
    served.release();
    if (malformed > 0) {
      deps.onMalformed?.(malformed);
      deps.logger.warn({ requestId: call.requestId, malformed }, 'skipped malformed upstream stream chunks');
    }
    return { served, outcome, tally };
  };

  for (;;) {
    let ended: 'done' | 'clean-end' | 'interrupted' = 'interrupted';
    let upstreamError = false;
    try {
      for (const data of served.pending) {
        const step = emit(data);
        if (step === 'done') ended = 'done';
        if (step === 'error') upstreamError = true;
        if (step !== 'more') break;
      }
      served.pending = [];
      if (ended !== 'done' && !upstreamError) {
        await flush();
        for (;;) {
          const data = await served.call.nextEvent();
          if (data === null) {
            ended = 'clean-end';
            break;
          }
          const step = emit(data);
          if (step === 'done') {
            ended = 'done';
            break;
          }
          if (step === 'error') break;
          if (!served.call.hasBufferedEvent()) {
            served.call.refresh();
            await flush();
          }
        }
      }
    } catch {
      ended = 'interrupted';
    }
    if (call.clientSignal.aborted || res.destroyed) {
      served.call.abort();
      settlePart('interrupted');
      return finish('client_disconnect');
    }
    if (ended === 'done' || ended === 'clean-end') {
      // A clean end without [DONE] is finished at once (DESIGN §2 "Mid-stream recovery").
      res.end(ended === 'clean-end' ? `${out}data: [DONE]\n\n` : out);
      settlePart('ok');
      // A continued (rescued) answer is stitched from two entries: never stored (docs/cache.md).
      if (!continuing) call.cacheTap?.streamEnded(servedFields(served));
      return finish('ok');
    }
    served.call.abort();
    const reason = served.call.timedOut === 'idle' ? 'stalled' : 'was cut';
    const message = `The upstream ${served.leaf.target.provider.id}/${served.leaf.target.model} ${reason} after the answer had started; the answer is incomplete.`;
    settlePart('interrupted');
    if (canContinue) await flush();
    const rescue = canContinue ? await continueElsewhere(deps, plan, served, delivered) : null;
    if (rescue === null) {
      res.end(out + INTERRUPTED(message));
      return finish('interrupted');
    }
    await flush();
    served.release();
    served = rescue;
    continuing = true;
    started = false;
    malformed += rescue.malformed;
  }
}

/** Tries prefill-capable entries in turn; a 400 marks the entry as refusing prefills. */
async function continueElsewhere(deps: ServeDeps, plan: AttemptPlan, failed: Served, delivered: string): Promise<Served | null> {
  plan.selection.excluded.add(failed.leaf.target.key);
  for (;;) {
    const continuation: AttemptPlan = {
      ...plan,
      prefill: delivered,
      startedAt: deps.clock(),
      selection: { ...plan.selection, requirePrefill: true, usedEarliest: true },
    };
    const result = await runAttempts(deps, continuation);
    if (result.ok) return result.served;
    if (result.clientGone || result.passthrough === null || result.passthrough.status !== 400) return null;
    const refused = result.lastKey;
    if (refused === null) return null;
    deps.state.markRefusesPrefill(refused);
    plan.selection.excluded.add(refused);
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

