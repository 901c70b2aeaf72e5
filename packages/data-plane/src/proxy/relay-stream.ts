import type { ServerResponse } from 'node:http';
import type { UsageAttempt, UsageEvent } from '@aisbf/core';
import { chunkFacts, estimateTokens, type ChunkFacts, type UsageCounts } from './chunk-facts';
import { learnChunkTemplate, readTemplatedText, type ChunkTemplate } from './chunk-template';
import { runAttempts, servedFields, type AttemptPlan, type Served } from './run-attempts';
import type { ProxyCall, ServeDeps } from './serve-proxy';

/** Tokens of one answer, as the backends reported them or as estimated. */
export interface Tally {
  promptTokens: number | null;
  completionTokens: number;
  estimated: boolean;
  /** Prompt tokens the backend served from its prompt cache (priced at `cached_prompt`). */
  cachedPromptTokens?: number;
}

export interface StreamEnd {
  served: Served;
  outcome: UsageEvent['outcome'];
  tally: Tally;
}

type Step = 'done' | 'error' | 'more';

const INTERRUPTED = (message: string): string =>
  `data: ${JSON.stringify({ error: { message, type: 'upstream_error', code: 'upstream_stream_interrupted', param: null } })}\n\n`;

/**
 * After the first content chunk: bytes flow as the backend sends them. Each upstream read's events
 * are handled synchronously as undici hands the read over (UpstreamCall#relay) and leave in one
 * write; a read whose events all pass unchanged leaves as the very bytes that came in.
 * A cut, reset or stall ends with one error event and no [DONE], or, with `midstream: "continue"`,
 * the answer is continued on a prefill-capable entry in the same stream (DESIGN §2).
 */
export async function relayStream(
  deps: ServeDeps,
  call: ProxyCall,
  plan: AttemptPlan,
  first: Served,
  headers: Record<string, string>,
): Promise<StreamEnd> {
  const res = call.res;
  const wantsUsage = (call.body['stream_options'] as { include_usage?: unknown } | undefined)?.include_usage === true;
  const canContinue =
    call.endpoint === 'chat.completions' &&
    call.resolution.kind === 'rotation' &&
    call.resolution.rotation.config.midstream === 'continue';
  res.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
  });
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
   * What one upstream read sends to the client, written in one `write` (one chunk, one syscall):
   * `out`, plus the current run of events relayed unchanged, kept as offsets into the read's text
   * (`runText[runStart, runEnd)`) and sliced only when something else follows or the read ends.
   */
  let out = '';
  let runText = '';
  let runStart = 0;
  let runEnd = 0;
  let changed = false;
  const closeRun = (): void => {
    if (runEnd > runStart) out += runText.slice(runStart, runEnd);
    runStart = runEnd = 0;
  };
  const append = (line: string): void => {
    closeRun();
    changed = true;
    out += `data: ${line}\n\n`;
  };
  const flush = (): Promise<void> | undefined => {
    closeRun();
    changed = false;
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

  /** One event, `text.slice(start, end)`; `framed`: it came as exactly `data: …\n\n` (SseReader). */
  /** `parsed`: the facts of this very payload when they are known already (events read before the commit). */
  const emit = (text: string, start: number, end: number, framed: boolean, parsed?: ChunkFacts | null): Step => {
    if (template !== null && !continuing) {
      const content = readTemplatedText(template, text, start, end);
      if (content !== null) {
        if (content !== '') {
          partChars += content.length;
          if (canContinue) delivered += content;
        }
        if (!framed) append(text.slice(start, end));
        else if (runEnd === start - 6 && runText === text) runEnd = end + 2;
        else {
          closeRun();
          runText = text;
          runStart = start - 6;
          runEnd = end + 2;
        }
        return 'more';
      }
    }
    const data = text.slice(start, end);
    if (data === '[DONE]') {
      append(data);
      return 'done';
    }
    const facts = parsed ?? chunkFacts(data);
    if (facts === null) {
      malformed++;
      changed = true;
      return 'more';
    }
    if (facts.error !== undefined) return 'error';
    if (facts.usage !== null) usage = facts.usage;
    if (!continuing) call.cacheTap?.chunk(facts.json);
    if (facts.usageOnly && !wantsUsage) {
      changed = true;
      return 'more';
    }
    let line = data;
    if (continuing) {
      // The continuation's role-only opening chunk would restart the message: drop it.
      if (!started && !facts.hasContent) {
        changed = true;
        return 'more';
      }
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
    append(line);
    return 'more';
  };

  /** After one upstream read: its bytes as they came when nothing in it changed, else `out`. */
  const readEnd = (raw: Buffer | null, resume: () => void): boolean => {
    let ok = true;
    if (raw !== null && !changed && out === '' && runStart === 0 && runEnd === runText.length && runEnd > 0) {
      runStart = runEnd = 0;
      ok = res.write(raw);
    } else {
      closeRun();
      if (out !== '') ok = res.write(out);
      out = '';
    }
    changed = false;
    if (!ok) res.once('drain', resume);
    return ok;
  };

  const settlePart = (outcome: UsageAttempt['outcome']): void => {
    const attempt = [...plan.attempts]
      .reverse()
      .find(
        (a) =>
          a.provider === served.leaf.target.provider.id && a.model === served.leaf.target.model && a.outcome === 'ok',
      );
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
    served.call.done();
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
      for (const { data, facts } of served.pending) {
        const step = emit(data, 0, data.length, false, facts);
        if (step === 'done') ended = 'done';
        if (step === 'error') upstreamError = true;
        if (step !== 'more') break;
      }
      served.pending = [];
      if (ended !== 'done' && !upstreamError) {
        await flush();
        // Push mode: events are handled as undici hands over each read, no promise per event.
        let step = 'more' as Step;
        const upstream = served.call;
        const resume = (): void => upstream.resume();
        const how = await upstream.relay({
          event: (text, start, end, framed) => (step = emit(text, start, end, framed)) === 'more',
          readEnd: (raw) => readEnd(raw, resume),
        });
        closeRun();
        if (how === 'end') ended = 'clean-end';
        else if (step === 'done') ended = 'done';
      }
    } catch {
      closeRun();
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
async function continueElsewhere(
  deps: ServeDeps,
  plan: AttemptPlan,
  failed: Served,
  delivered: string,
): Promise<Served | null> {
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
