import type { ServerResponse } from 'node:http';
import type { UsageEvent } from '@aisbf/core';
import type { PassthroughReader } from '@aisbf/dialects';
import { FRAME_TOO_LARGE_MESSAGE } from '../upstream/max-stream-frame';
import type { AttemptPlan } from './attempt-plan';
import { estimateTokens, type UsageCounts } from './chunk-facts';
import type { ProxyCall, ServeDeps } from './proxy-call';
import type { Tally } from './relay-state';
import type { Served } from './run-attempts';

/** The client of a pass-through answer: its own response and its dialect's mid-stream error event. */
export interface PassthroughClient {
  res: ServerResponse;
  /** The client's stream error event (Anthropic's `event: error`) for an answer cut after it started. */
  streamError(message: string): string;
}

/**
 * A stream whose backend speaks the client's dialect (docs/clients.md "Pass-through"): the
 * vendor's events go to the client as the vendor framed them, while the dialect's reader reads
 * usage, text and the end off them. Each upstream read leaves in one write; a full client pauses
 * the upstream. A cut, reset, stall or vendor error event after the first byte ends the stream
 * with the client's own error event (the vendor's, when it sent one). Mid-stream continuation on
 * another entry is not done here: its events would not be the vendor's.
 */
export async function relayPassthrough(
  deps: ServeDeps,
  call: ProxyCall,
  plan: AttemptPlan,
  served: Served,
  headers: Record<string, string>,
  client: PassthroughClient,
): Promise<{ outcome: UsageEvent['outcome']; tally: Tally }> {
  const res = client.res;
  const reader: PassthroughReader = served.passthrough!;
  res.writeHead(200, {
    ...headers,
    'content-type': String(served.headers['content-type'] ?? 'text/event-stream'),
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
  });
  let usage: UsageCounts | null = null;
  let chars = 0;
  let malformed = served.malformed;
  let out = '';
  let finished: 'done' | 'error' | null = null;
  const take = (payload: string, facts: ReturnType<PassthroughReader['read']>): void => {
    if (facts === null) {
      malformed++;
      return;
    }
    out += reader.frame(payload);
    if (facts.usage !== null) usage = facts.usage;
    chars += facts.text.length;
    if (facts.error !== null) finished = 'error';
    else if (facts.done) finished = 'done';
  };
  for (const { data } of served.pending) {
    if (data === '[DONE]') continue;
    take(data, reader.read(data));
    if (finished !== null) break;
  }
  served.pending = [];
  const upstream = served.call;
  let how: 'end' | 'stopped' | 'cut' = 'stopped';
  if (finished === null) {
    res.write(out);
    out = '';
    try {
      how = await upstream.relay({
        event: (text, start, end) => {
          const payload = text.slice(start, end);
          take(payload, reader.read(payload));
          return finished === null;
        },
        readEnd: () => {
          if (out === '') return true;
          const ok = res.write(out);
          out = '';
          if (!ok) res.once('drain', () => upstream.resume());
          return ok;
        },
      });
    } catch {
      how = 'cut';
    }
  }
  const clientGone = call.clientSignal.aborted || res.destroyed;
  let outcome: UsageEvent['outcome'] = 'ok';
  if (clientGone) {
    upstream.abort();
    outcome = 'client_disconnect';
  } else if (finished === 'done') res.end(out);
  else {
    // The vendor's own error event went out as it came; anything else gets the client's error event.
    upstream.abort();
    const reason = upstream.frameTooLarge
      ? FRAME_TOO_LARGE_MESSAGE
      : how === 'cut' && upstream.timedOut === 'idle'
        ? 'stalled'
        : 'was cut';
    const message = `The upstream ${served.leaf.target.provider.id}/${served.leaf.target.model} ${reason} after the answer had started; the answer is incomplete.`;
    res.end(finished === 'error' ? out : out + client.streamError(message));
    outcome = 'interrupted';
  }
  upstream.done();
  served.release();
  if (malformed > 0) {
    deps.onMalformed?.(malformed);
    deps.logger.warn({ requestId: call.requestId, malformed }, 'skipped malformed upstream stream events');
  }
  const reported = usage as UsageCounts | null;
  const completion = reported?.completion ?? estimateTokens(chars);
  const attempt = [...plan.attempts]
    .reverse()
    .find(
      (a) =>
        a.provider === served.leaf.target.provider.id && a.model === served.leaf.target.model && a.outcome === 'ok',
    );
  if (attempt !== undefined) {
    attempt.outcome = outcome === 'ok' ? 'ok' : 'interrupted';
    if (upstream.frameTooLarge) attempt.detail = 'frame_too_large';
    attempt.completionTokens = completion;
    if (reported !== null) attempt.promptTokens = reported.prompt;
  }
  const tally: Tally =
    reported === null
      ? { promptTokens: null, completionTokens: completion, estimated: true }
      : {
          promptTokens: reported.prompt,
          completionTokens: completion,
          estimated: false,
          cachedPromptTokens: reported.cached,
        };
  return { outcome, tally };
}
