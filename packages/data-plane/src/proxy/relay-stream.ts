import type { UsageEvent } from '@aisbf/core';
import { FRAME_TOO_LARGE_MESSAGE } from '../upstream/max-stream-frame';
import type { AttemptPlan } from './attempt-plan';
import { continueElsewhere } from './continue-elsewhere';
import type { ProxyCall, ServeDeps } from './proxy-call';
import { relayEvent, type RelayStep } from './relay-event';
import { createRelayState, type RelayState, type Tally } from './relay-state';
import { servedFields, type Served } from './run-attempts';
import { settlePart } from './settle-part';

export interface StreamEnd {
  served: Served;
  outcome: UsageEvent['outcome'];
  tally: Tally;
}

const INTERRUPTED = (message: string): string =>
  `data: ${JSON.stringify({ error: { message, type: 'upstream_error', code: 'upstream_stream_interrupted', param: null } })}\n\n`;

/** How one entry's part of the stream ended. */
type PartEnd = 'done' | 'clean-end' | 'interrupted';

/**
 * After the first content chunk: bytes flow as the backend sends them. Each upstream read's events
 * are handled synchronously as undici hands the read over (UpstreamCall#relay) and leave in one
 * write (SseBatch); a read whose events all pass unchanged leaves as the very bytes that came in.
 * A cut, reset or stall ends with one error event and no [DONE], or, with `midstream: "continue"`,
 * the answer is continued on a prefill-capable entry in the same stream (docs/architecture.md "Mid-stream recovery").
 */
export async function relayStream(
  deps: ServeDeps,
  call: ProxyCall,
  plan: AttemptPlan,
  first: Served,
  headers: Record<string, string>,
): Promise<StreamEnd> {
  const res = call.res;
  // `headers` is this response's own (serve-proxy.ts servedHeaders): completed in place rather
  // than spread into a copy, same keys in the same order (docs/benchmarks.md "The routing core's CPU").
  headers['content-type'] = 'text/event-stream';
  headers['cache-control'] = 'no-cache';
  headers['x-accel-buffering'] = 'no';
  res.writeHead(200, headers);
  const s = createRelayState(call, first.malformed);
  let served = first;

  const finish = (outcome: UsageEvent['outcome']): StreamEnd => {
    served.call.done();
    served.release();
    if (s.malformed > 0) {
      deps.onMalformed?.(s.malformed);
      deps.logger.warn(
        { requestId: call.requestId, malformed: s.malformed },
        'skipped malformed upstream stream chunks',
      );
    }
    return { served, outcome, tally: s.tally };
  };

  for (;;) {
    const ended = await relayPart(s, served);
    if (call.clientSignal.aborted || res.destroyed) {
      served.call.abort();
      settlePart(s, plan, served, 'interrupted');
      return finish('client_disconnect');
    }
    if (ended === 'done' || ended === 'clean-end') {
      // A clean end without [DONE] is finished at once (docs/architecture.md "Mid-stream recovery").
      s.batch.end(ended === 'clean-end' ? 'data: [DONE]\n\n' : '');
      settlePart(s, plan, served, 'ok');
      // A continued (rescued) answer is stitched from two entries: never stored (docs/cache.md).
      if (!s.continuing) call.cacheTap?.streamEnded(servedFields(served));
      return finish('ok');
    }
    served.call.abort();
    const reason = served.call.frameTooLarge
      ? FRAME_TOO_LARGE_MESSAGE
      : served.call.timedOut === 'idle'
        ? 'stalled'
        : 'was cut';
    const message = `The upstream ${served.leaf.target.provider.id}/${served.leaf.target.model} ${reason} after the answer had started; the answer is incomplete.`;
    settlePart(s, plan, served, 'interrupted');
    if (s.canContinue) await s.batch.flush();
    const rescue = s.canContinue ? await continueElsewhere(deps, plan, served, s.delivered) : null;
    if (rescue === null) {
      s.batch.end(INTERRUPTED(message));
      return finish('interrupted');
    }
    await s.batch.flush();
    served.release();
    served = rescue;
    s.continuing = true;
    s.started = false;
    s.malformed += rescue.malformed;
  }
}

/** Relays one entry's part: the events read before the commit, then each upstream read as it comes. */
async function relayPart(s: RelayState, served: Served): Promise<PartEnd> {
  let ended: PartEnd = 'interrupted';
  let upstreamError = false;
  try {
    for (const { data, facts } of served.pending) {
      const step = relayEvent(s, data, 0, data.length, false, facts);
      if (step === 'done') ended = 'done';
      if (step === 'error') upstreamError = true;
      if (step !== 'more') break;
    }
    served.pending = [];
    if (ended !== 'done' && !upstreamError) {
      // Awaited only when the socket is full: no microtask per stream otherwise.
      const drained = s.batch.flush();
      if (drained !== undefined) await drained;
      // Push mode: events are handled as undici hands over each read, no promise per event.
      let step = 'more' as RelayStep;
      const upstream = served.call;
      const resume = (): void => upstream.resume();
      const relayed = upstream.relay({
        event: (text, start, end, framed) => (step = relayEvent(s, text, start, end, framed)) === 'more',
        readEnd: (raw) => s.batch.readEnd(raw, resume),
      });
      // A body already read to its end answers at once: no microtask for it.
      const how = typeof relayed === 'string' ? relayed : await relayed;
      s.batch.closeRun();
      if (how === 'end') ended = 'clean-end';
      else if (step === 'done') ended = 'done';
    }
  } catch {
    s.batch.closeRun();
    ended = 'interrupted';
  }
  return ended;
}
