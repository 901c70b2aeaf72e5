import type { IncomingHttpHeaders } from 'node:http';
import { parseRetryAfterMs, safeJsonParse, type AttemptOutcome, type UsageAttempt } from '@aisbf/core';
import type { PassthroughReader } from '@aisbf/dialects';
import { UpstreamCall } from '../upstream/upstream-call';
import { FRAME_TOO_LARGE_MESSAGE } from '../upstream/max-stream-frame';
import { backendAnswer, backendErrorBody, passthroughChunkFacts } from './backend-answer';
import { backendRequest } from './backend-request';
import { backendTranscoder } from './backend-transcoder';
import { chunkFacts, type ChunkFacts, type UsageCounts } from './chunk-facts';
import type { AttemptDeps, AttemptPlan } from './attempt-plan';
import { scrubUpstreamBody, sentSecrets } from './scrub-upstream-secrets';
import type { Leaf } from './select-leaf';
import { fillMaxTokens } from '../context/fill-max-tokens';

/** An SSE payload read before the answer was committed, with what was already parsed of it (null: `[DONE]`). */
export interface PendingEvent {
  data: string;
  facts: ChunkFacts | null;
}

/** An upstream 4xx returned to the client as is (docs/architecture.md "Retry discipline": content policy, other 400/422). */
export interface Passthrough {
  status: number;
  body: Buffer;
  contentType: string;
}

/** What one attempt got that can go to the client. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  call: UpstreamCall;
  /** Non-stream: the whole body. */
  body: Buffer | null;
  /** Stream: payloads read up to and including the first content chunk. */
  pending: PendingEvent[];
  /** Malformed chunks skipped before the first content. */
  malformed: number;
  /** Usage a backend adapter already read from a whole answer (the body may not be canonical). */
  usage?: UsageCounts | null;
  /**
   * Set when the backend speaks the client's dialect: `body` / the events are the vendor's own,
   * forwarded unchanged, and this reader tells the proxy what they hold.
   */
  passthrough?: PassthroughReader | null;
}

/**
 * One attempt at one leaf (docs/reliability.md): send, then read until there is something to give the client
 * (a whole non-stream body, a stream's first content chunk) or a failure the retry table can judge.
 */
export type OnceResult =
  | { ok: true; served: Answer }
  | {
      ok: false;
      outcome: AttemptOutcome | null;
      budget: boolean;
      passthrough: Passthrough | null;
      status: number | null;
      message: string;
      attempt: UsageAttempt['outcome'];
      forbidden?: true;
      detail?: UsageAttempt['detail'];
    };

/** The upstream body: the client's fields unchanged, `model` rewritten, defaults only where omitted. */
export function upstreamBody(plan: AttemptPlan, leaf: Leaf): string {
  const body = copyOwnFields(plan.body);
  body['model'] = leaf.target.model;
  // The resolved max_tokens first: a rotation's model outranks the provider model's defaults.
  fillMaxTokens(body, leaf, plan.upstreamPath);
  const defaults = leaf.target.modelInfo?.defaults;
  if (defaults !== undefined) for (const k in defaults) if (body[k] === undefined) body[k] = defaults[k];
  if (plan.stream) {
    const so = body['stream_options'];
    body['stream_options'] =
      typeof so === 'object' && so !== null ? { ...so, include_usage: true } : { include_usage: true };
  }
  if (plan.prefill !== undefined && Array.isArray(body['messages'])) {
    body['messages'] = [...(body['messages'] as unknown[]), { role: 'assistant', content: plan.prefill }];
  }
  return JSON.stringify(body);
}

/**
 * `{ ...body }` by hand, same keys in the same order: the spread of a parsed request body (with a
 * key set after it) made an object that cost JSON.stringify twice as much, ~2.6 against ~1.4 µs
 * for the benchmark's body (docs/benchmarks.md "The routing core's CPU"). A `__proto__` key of
 * the client's is defined as an own field, as the spread defines it, never set as the prototype.
 */
function copyOwnFields(source: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: source[key], enumerable: true, writable: true, configurable: true });
    else out[key] = source[key];
  }
  return out;
}

export async function attemptOnce(
  deps: AttemptDeps,
  plan: AttemptPlan,
  leaf: Leaf,
  deadline: number,
): Promise<OnceResult> {
  const { targets, clock } = deps;
  const t = leaf.timeouts;
  const request = backendRequest(plan, leaf, targets, () => upstreamBody(plan, leaf));
  if ('error' in request) {
    // The backend's dialect cannot express this request: the client's 400, never sent anywhere.
    const body = Buffer.from(JSON.stringify({ error: request.error }));
    const passthrough = { status: 400, body, contentType: 'application/json' };
    return fail({ kind: 'status', status: 400 }, false, passthrough, request.error.message, 'error');
  }
  const { headers, dialect } = request;
  const passthroughReader: PassthroughReader | null =
    dialect !== null && plan.client?.dialect === dialect.name && plan.prefill === undefined
      ? dialect.passthrough.createReader()
      : null;
  const created = Math.floor(clock() / 1000);
  const opened = await UpstreamCall.open({
    pool: targets.pool(leaf.target, t.connectMs),
    path: request.path,
    headers,
    body: request.body,
    headersMs: t.headersMs,
    deadline,
    clock,
    signal: plan.clientSignal,
    ...(dialect !== null && passthroughReader === null && plan.stream
      ? { transcoder: backendTranscoder(dialect, leaf.target.model, created) }
      : {}),
  });
  if (!opened.ok) {
    if (opened.error === 'forbidden')
      return {
        ok: false,
        outcome: null,
        budget: false,
        passthrough: null,
        status: null,
        message: opened.message,
        attempt: 'error',
        forbidden: true,
      };
    if (opened.error === 'timeout') {
      if (opened.timeout === 'budget') return fail(null, true, null, opened.message, 'timeout');
      return fail({ kind: 'headers-timeout' }, false, null, opened.message, 'timeout');
    }
    return fail(
      { kind: opened.error },
      false,
      null,
      opened.error === 'refused' ? `connection refused (${opened.message})` : `connection reset (${opened.message})`,
      // No HTTP answer at all: a connection-level fault, the only kind that judges a whole provider.
      'refused',
    );
  }
  const { call, status, headers: responseHeaders } = opened;
  if (status < 200 || status >= 300) {
    call.arm(Math.min(t.idleMs, deadline - clock()), 'idle');
    let body: Buffer;
    try {
      body = await call.readAll(1024 * 1024);
    } catch {
      call.abort();
      return fail({ kind: 'status', status }, false, null, `HTTP ${status}`, 'error');
    }
    // Never hand the client a key the upstream echoed back (docs/security.md finding 1).
    body = scrubUpstreamBody(body, sentSecrets(headers));
    // Another dialect's error is judged and returned in the canonical shape (its status mapped).
    const mapped = dialect === null ? null : backendErrorBody(dialect, status, body, responseHeaders);
    const errorCode = mapped === null ? wireErrorCode(body) : mapped.code;
    if (mapped !== null) body = mapped.body;
    const retryAfter = responseHeaders['retry-after'];
    const retryAfterMs = parseRetryAfterMs(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, clock());
    const contentType =
      mapped === null ? String(responseHeaders['content-type'] ?? 'application/json') : 'application/json';
    const passthrough = { status: mapped?.status ?? status, body, contentType };
    return fail(
      { kind: 'status', status: passthrough.status, errorCode, retryAfterMs },
      false,
      passthrough,
      `HTTP ${status}${errorCode === undefined ? '' : ` ${errorCode}`}`,
      status === 429 ? 'rate_limited' : 'error',
      status,
    );
  }
  if (!plan.stream) {
    // A non-stream answer is one body: it may take as long as the budget allows. One that came
    // whole with its head needs no timer (docs/benchmarks.md "The request's critical path").
    if (!call.complete) call.arm(deadline - clock(), 'budget');
    try {
      const body = await call.readAll();
      if (dialect === null)
        return { ok: true, served: { status, headers: responseHeaders, call, body, pending: [], malformed: 0 } };
      const answer = backendAnswer(
        dialect,
        body,
        passthroughReader !== null,
        { model: leaf.target.model, created },
        plan.upstreamPath === '/embeddings' ? plan.body : null,
      );
      if (answer === null)
        return fail({ kind: 'status', status: 502 }, false, null, 'the answer could not be read', 'error', status);
      const served = { status, headers: responseHeaders, call, body: answer.body, pending: [], malformed: 0 };
      return { ok: true, served: { ...served, usage: answer.usage, passthrough: passthroughReader } };
    } catch {
      call.abort();
      if (call.timedOut === 'budget')
        return fail(null, true, null, 'the answer took longer than the budget', 'timeout', status);
      return fail({ kind: 'reset' }, false, null, 'connection cut while reading the answer', 'error', status);
    }
  }
  // Streaming: nothing is committed to the client until the first content chunk (docs/architecture.md "Data plane API").
  const budgetLeft = deadline - clock();
  call.arm(Math.min(t.firstTokenMs, budgetLeft), t.firstTokenMs <= budgetLeft ? 'first-token' : 'budget');
  // Kept with their parsed facts: the relay does not parse them again.
  const pending: PendingEvent[] = [];
  let malformed = 0;
  try {
    for (;;) {
      // Awaited only when the next event has not come yet (UpstreamCall#pollEvent).
      let data = call.pollEvent();
      if (data === undefined) data = await call.nextEvent();
      if (data === null) break;
      if (data === '[DONE]') {
        pending.push({ data, facts: null });
        break;
      }
      const facts = passthroughReader === null ? chunkFacts(data) : passthroughChunkFacts(passthroughReader, data);
      if (facts === null) {
        malformed++;
        continue;
      }
      if (facts.error !== undefined) {
        call.abort();
        return fail(
          { kind: 'status', status: 502 },
          false,
          null,
          'error event before the first token',
          'error',
          status,
        );
      }
      pending.push({ data, facts });
      if (facts.hasContent) break;
    }
    if (pending.length === 0) {
      // A 200 that ends without one SSE event (e.g. a JSON body to a stream request) served nothing.
      call.abort();
      return fail({ kind: 'status', status: 502 }, false, null, 'the stream ended before any event', 'error', status);
    }
  } catch {
    call.abort();
    if (call.timedOut === 'budget')
      return fail(null, true, null, 'no first token within the budget', 'timeout', status);
    if (call.timedOut === 'first-token')
      return fail(
        { kind: 'first-token-timeout' },
        false,
        null,
        `no first token within ${t.firstTokenMs} ms`,
        'timeout',
        status,
      );
    if (call.frameTooLarge)
      return {
        ...fail({ kind: 'status', status: 502 }, false, null, FRAME_TOO_LARGE_MESSAGE, 'error', status),
        detail: 'frame_too_large',
      };
    return fail({ kind: 'reset' }, false, null, 'stream cut before the first token', 'error', status);
  }
  call.arm(t.idleMs, 'idle');
  return {
    ok: true,
    served: { status, headers: responseHeaders, call, body: null, pending, malformed, passthrough: passthroughReader },
  };
}

function fail(
  outcome: AttemptOutcome | null,
  budget: boolean,
  passthrough: Passthrough | null,
  message: string,
  attempt: UsageAttempt['outcome'],
  status: number | null = null,
): Extract<OnceResult, { ok: false }> {
  return { ok: false, outcome, budget, passthrough, status: passthrough?.status ?? status, message, attempt };
}

function wireErrorCode(body: Buffer): string | undefined {
  const parsed = safeJsonParse(body.toString('utf8'));
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null) return undefined;
  const error = (parsed.value as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
