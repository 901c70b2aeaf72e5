import type { ServerResponse } from 'node:http';
import type { UsageEvent } from '@aisbf/core';
import type { PassthroughReader } from '@aisbf/dialects';
import { FRAME_TOO_LARGE_MESSAGE } from '../upstream/max-stream-frame';
import type { AttemptPlan } from './attempt-plan';
import { estimateTokens, type UsageCounts } from './chunk-facts';
import type { ProxyCall, ServeDeps } from './proxy-call';
import type { Tally } from './relay-state';
import type { Served } from './run-attempts';
import { SseBatch } from './sse-batch';

/** The client of a pass-through answer: its own response and its dialect's mid-stream error event. */
export interface PassthroughClient {
  res: ServerResponse;
  /** The client's stream error event (Anthropic's `event: error`) for an answer cut after it started. */
  streamError(message: string): string;
}

/**
 * A stream whose backend speaks the client's dialect (docs/clients.md "Pass-through"): the
 * vendor's frames go to the client as the vendor sent them, while the dialect's reader reads
 * usage, text and the end off each payload (a text delta without `JSON.parse`). An upstream read
 * whose frames all pass unchanged leaves as the very bytes that came in, in one write (SseBatch);
 * a frame the fast SSE path could not hand over whole, or one without an `event:` name, is framed
 * again under its type's name, and a payload that is not one of the dialect's is dropped and
 * counted. A full client pauses the upstream. A cut, reset, stall, oversized frame or vendor error
 * event after the first byte ends the stream with the client's own error event (the vendor's, when
 * it sent one). Mid-stream continuation on another entry is not done here: its events would not
 * be the vendor's.
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
  const batch = new SseBatch(res);
  let usage: UsageCounts | null = null;
  let chars = 0;
  let malformed = served.malformed;
  let finished: 'done' | 'error' | null = null;
  /** The answer ended well and went out whole. */
  let sent = false;
  /**
   * Ends the response as soon as the vendor's end event is read, in the same tick as the frames
   * before it: one socket write for a stream that came in one read (docs/benchmarks.md "Dialects").
   */
  const endIfDone = (): void => {
    if (finished !== 'done' || call.clientSignal.aborted || res.destroyed) return;
    batch.end('');
    sent = true;
  };
  /** Notes one payload's facts; false when it is not one of the dialect's (dropped, counted). */
  const take = (facts: ReturnType<PassthroughReader['read']>): boolean => {
    if (facts === null) {
      malformed++;
      batch.drop();
      return false;
    }
    if (facts.usage !== null) usage = facts.usage;
    chars += facts.text.length;
    if (facts.error !== null) finished = 'error';
    else if (facts.done) finished = 'done';
    return true;
  };
  for (const { data } of served.pending) {
    if (data === '[DONE]') continue;
    if (take(reader.read(data))) batch.appendFrame(reader.frame(data));
    if (finished !== null) break;
  }
  served.pending = [];
  endIfDone();
  const upstream = served.call;
  let how: 'end' | 'stopped' | 'cut' = 'stopped';
  if (finished === null) {
    // The frames read before the commit leave with the first read's (SseBatch#readEnd).
    const resume = (): void => upstream.resume();
    try {
      how = await upstream.relay({
        event: (text, start, end, _framed, frameStart) => {
          const payload = text.slice(start, end);
          if (take(reader.read(payload))) {
            // A named frame as the vendor sent it; an unnamed one gets its type's name (SDKs dispatch on it).
            if (frameStart >= 0 && frameStart < start - 6) batch.keepFrame(text, frameStart, end + 2);
            else batch.appendFrame(reader.frame(payload));
          }
          endIfDone();
          return finished === null;
        },
        readEnd: (raw) => batch.readEnd(raw, resume),
      });
    } catch {
      how = 'cut';
    }
  }
  const clientGone = call.clientSignal.aborted || res.destroyed;
  let outcome: UsageEvent['outcome'] = 'ok';
  // Ended well: the rest of the body (if any) is read and dropped by `done`, keeping the connection.
  if (sent) outcome = 'ok';
  else if (clientGone) {
    upstream.abort();
    outcome = 'client_disconnect';
  } else {
    // The vendor's own error event went out as it came; anything else gets the client's error event.
    upstream.abort();
    const reason = upstream.frameTooLarge
      ? FRAME_TOO_LARGE_MESSAGE
      : how === 'cut' && upstream.timedOut === 'idle'
        ? 'stalled'
        : 'was cut';
    const message = `The upstream ${served.leaf.target.provider.id}/${served.leaf.target.model} ${reason} after the answer had started; the answer is incomplete.`;
    batch.end(finished === 'error' ? '' : client.streamError(message));
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
