import OpenAI from 'openai';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockFault } from '../../packages/testkit/src/index';
import { scenarioEnv } from './env';
import { seen, startHarness, TOKEN, WHOLE, type CallResult, type CaseSpec, type Harness } from './scenario-harness';
import { createScorecard, scorecardBlockOf, withScorecardBlock } from './scorecard';

/**
 * The fault scorecard (docs/security.md, docs/reliability.md): the real data plane as a process, two mock upstreams
 * (primary weight 6, backup weight 3), every scenario on its own model and rotation so they run
 * concurrently without sharing faults or cooldowns. Pass = the client gets a complete answer or a
 * clear error, never a hang past the configured timeouts, never a truncated answer presented as whole.
 */

interface Variant {
  fallback: boolean;
  expected: string;
  spec?: Omit<CaseSpec, 'id' | 'fallback'>;
  run(h: Harness, id: string, note: (observed: string) => void): Promise<void>;
}

interface Scenario {
  name: string;
  guarantee: string;
  variants: Variant[];
}

const wordsOf = (r: CallResult): string => {
  if (r.sse) return r.sse.text;
  const content = (r.json as { choices?: Array<{ message?: { content?: unknown } }> } | null)?.choices?.[0]?.message
    ?.content;
  return typeof content === 'string' ? content : '';
};
const errorCode = (r: CallResult): string | null => {
  const fromJson = (r.json as { error?: { code?: unknown } } | null)?.error?.code;
  if (typeof fromJson === 'string') return fromJson;
  const fromSse = (r.sse?.errors[0] as { code?: unknown } | undefined)?.code;
  return typeof fromSse === 'string' ? fromSse : null;
};

function describeCall(r: CallResult, h: Harness, id: string): string {
  const words = wordsOf(r).trim() === '' ? 0 : wordsOf(r).trim().split(/\s+/).length;
  const parts = [`${r.status}`];
  if (r.sse)
    parts.push(
      `stream ${words} words${r.sse.done ? ' + [DONE]' : ', no [DONE]'}${r.sse.errors.length > 0 ? `, error event ${errorCode(r)}` : ''}`,
    );
  else if (errorCode(r) !== null) parts.push(`error ${errorCode(r)}`);
  else parts.push(`${words} words`);
  if (r.ended !== 'end') parts.push(`client ${r.ended}`);
  const provider = r.headers.get('x-aisbf-provider');
  if (provider) parts.push(`by ${provider}`);
  // No milliseconds: the table is compared with the committed doc, so it holds only what a passing
  // run always observes; the time bounds are asserted per case (the expected column states them).
  parts.push(`primary ${seen(h.primary, id)}×, backup ${seen(h.backup, `${id}-fb`)}×`);
  return parts.join(', ');
}

const expectWhole = (r: CallResult, provider: 'primary' | 'backup'): void => {
  expect(r.ended).toBe('end');
  expect(r.status).toBe(200);
  expect(wordsOf(r)).toBe(WHOLE);
  if (r.sse) {
    expect(r.sse.done).toBe(true);
    expect(r.sse.errors).toEqual([]);
  }
  expect(r.headers.get('x-aisbf-provider')).toBe(provider);
};

const expectClearError = (r: CallResult, statuses: number[], code?: string): void => {
  expect(r.ended).toBe('end');
  expect(statuses).toContain(r.status);
  const error = (r.json as { error?: { message?: unknown; type?: unknown } } | null)?.error;
  expect(typeof error?.message).toBe('string');
  expect(typeof error?.type).toBe('string');
  if (code !== undefined) expect(errorCode(r)).toBe(code);
};

const expectInterrupted = (r: CallResult, words: number): void => {
  expect(r.status).toBe(200);
  expect(r.sse).not.toBeNull();
  expect(r.sse?.done).toBe(false);
  expect(r.sse?.errors).toHaveLength(1);
  expect(errorCode(r)).toBe('upstream_stream_interrupted');
  expect(r.sse?.text).toBe(WHOLE.split(' ').slice(0, words).join(' '));
};

const primaryFault = (h: Harness, id: string, fault: MockFault, persistent = false): void => {
  if (persistent) h.primary.setDefault({ ...fault, model: id });
  else h.primary.enqueue({ ...fault, model: id });
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const both = (make: (fallback: boolean) => Variant): Variant[] => [make(true), make(false)];

const SCENARIOS: Scenario[] = [
  {
    name: '429 with Retry-After',
    guarantee:
      'A short Retry-After (≤ retry_after_max_s) is waited out and the same entry retried once; the client sees one normal answer.',
    variants: both((fallback) => ({
      fallback,
      expected: '200 complete from primary after waiting ~1 s; primary 2×, backup 0×',
      run: async (h, id, note) => {
        primaryFault(h, id, { kind: 'rate-limit', retryAfterS: 1 });
        const r = await h.call(id);
        note(describeCall(r, h, id));
        expectWhole(r, 'primary');
        const times = h.primary.requests.filter((q) => (q.body as { model?: string }).model === id).map((q) => q.at);
        expect(times).toHaveLength(2);
        expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(900);
        expect(seen(h.backup, `${id}-fb`)).toBe(0);
      },
    })),
  },
  {
    name: '429 without Retry-After',
    guarantee:
      'A 429 without a usable Retry-After cools the entry down at once (no hammering): the next entry serves, or the client gets a clear 429/503.',
    variants: [
      {
        fallback: true,
        expected: '200 complete from backup; primary 1×',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'rate-limit' });
          const r = await h.call(id);
          note(describeCall(r, h, id));
          expectWhole(r, 'backup');
          expect(seen(h.primary, id)).toBe(1);
        },
      },
      {
        fallback: false,
        expected: 'clear 429/503 error, primary 1×, < 3 s',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'rate-limit' });
          const r = await h.call(id);
          note(describeCall(r, h, id));
          expectClearError(r, [429, 503]);
          expect(seen(h.primary, id)).toBe(1);
          expect(r.ms).toBeLessThan(3000);
        },
      },
    ],
  },
  {
    name: '500 once',
    guarantee:
      'A one-off 5xx is retried once on the same entry after a short jittered backoff; the client sees one normal answer.',
    variants: both((fallback) => ({
      fallback,
      expected: '200 complete from primary; primary 2×, backup 0×',
      run: async (h, id, note) => {
        primaryFault(h, id, { kind: 'status', status: 500 });
        const r = await h.call(id);
        note(describeCall(r, h, id));
        expectWhole(r, 'primary');
        expect(seen(h.primary, id)).toBe(2);
        expect(seen(h.backup, `${id}-fb`)).toBe(0);
      },
    })),
  },
  {
    name: '503 persistent',
    guarantee:
      'A backend that keeps failing is tried twice (one retry), then the next entry serves; with no other entry the client gets a clear 502/503.',
    variants: [
      {
        fallback: true,
        expected: '200 complete from backup with x-aisbf-failover; primary 2×',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'status', status: 503 }, true);
          const r = await h.call(id);
          note(describeCall(r, h, id));
          expectWhole(r, 'backup');
          expect(r.headers.get('x-aisbf-failover')).toBe('true');
          expect(seen(h.primary, id)).toBe(2);
        },
      },
      {
        fallback: false,
        expected: 'clear 502/503 error; primary 2×',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'status', status: 503 }, true);
          const r = await h.call(id);
          note(describeCall(r, h, id));
          expectClearError(r, [502, 503]);
          expect(seen(h.primary, id)).toBe(2);
        },
      },
    ],
  },
  {
    name: 'connection reset',
    guarantee:
      'A reset connection is retried once, then the next entry serves; with none left, a clear 502/503, never a hang.',
    variants: [
      {
        fallback: true,
        expected: '200 complete from backup; primary 2×',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'reset' }, true);
          const r = await h.call(id);
          note(describeCall(r, h, id));
          expectWhole(r, 'backup');
          expect(seen(h.primary, id)).toBe(2);
        },
      },
      {
        fallback: false,
        expected: 'clear 502/503 error; primary 2×',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'reset' }, true);
          const r = await h.call(id);
          note(describeCall(r, h, id));
          expectClearError(r, [502, 503]);
          expect(seen(h.primary, id)).toBe(2);
        },
      },
    ],
  },
  {
    name: 'no response at all',
    guarantee:
      'A backend that never sends headers costs one headers timeout (not two: a silent backend is not retried) and its request is cancelled.',
    variants: [
      {
        fallback: true,
        expected: '200 complete from backup after one 0.5 s headers timeout; primary 1×, cancelled',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'hang' }, true);
          const r = await h.call(id);
          note(describeCall(r, h, id));
          expectWhole(r, 'backup');
          expect(seen(h.primary, id)).toBe(1);
          expect(r.ms).toBeLessThan(2500);
          await h.primary.waitFor(
            (reqs) => reqs.some((q) => (q.body as { model?: string }).model === id && q.aborted),
            2000,
          );
        },
      },
      {
        fallback: false,
        expected: 'clear 504 (or 502/503) after one headers timeout; primary 1×',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'hang' }, true);
          const r = await h.call(id);
          note(describeCall(r, h, id));
          expectClearError(r, [502, 503, 504]);
          expect(seen(h.primary, id)).toBe(1);
          expect(r.ms).toBeLessThan(2500);
        },
      },
    ],
  },
  {
    name: 'slow first token',
    guarantee:
      'Headers without a first token within timeout_first_token_s fail over before anything reached the client.',
    variants: [
      {
        fallback: true,
        expected: 'stream complete + [DONE] from backup, < 2.5 s (primary would take 3 s); primary request cancelled',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'slow-first-token', delayMs: 3000 }, true);
          const r = await h.call(id, { stream: true });
          note(describeCall(r, h, id));
          expectWhole(r, 'backup');
          expect(r.ms).toBeLessThan(2500);
          await h.primary.waitFor(
            (reqs) => reqs.some((q) => (q.body as { model?: string }).model === id && q.aborted),
            2000,
          );
        },
      },
      {
        fallback: false,
        expected: 'clear 504 (or 502/503) before any byte, < 2.5 s',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'slow-first-token', delayMs: 3000 }, true);
          const r = await h.call(id, { stream: true });
          note(describeCall(r, h, id));
          expectClearError(r, [502, 503, 504]);
          expect(r.ms).toBeLessThan(2500);
        },
      },
    ],
  },
  {
    name: 'stream cut mid-answer',
    guarantee:
      'A stream cut after the first byte ends with one upstream_stream_interrupted error event and no [DONE]: never a truncated answer presented as complete.',
    variants: both((fallback) => ({
      fallback,
      expected: '20 words, then one error event upstream_stream_interrupted, no [DONE]',
      run: async (h, id, note) => {
        primaryFault(h, id, { kind: 'cut', afterChunks: 20 });
        const r = await h.call(id, { stream: true });
        note(describeCall(r, h, id));
        expectInterrupted(r, 20);
      },
    })),
  },
  {
    name: 'stream stall',
    guarantee:
      'A stream that stops sending is ended by the idle timeout with one error event and no [DONE]; the client is never held.',
    variants: both((fallback) => ({
      fallback,
      expected: '20 words, then one error event after the 0.5 s idle timeout, no [DONE], < 3 s',
      run: async (h, id, note) => {
        primaryFault(h, id, { kind: 'stall', afterChunks: 20 });
        const r = await h.call(id, { stream: true });
        note(describeCall(r, h, id));
        expectInterrupted(r, 20);
        expect(r.ms).toBeLessThan(3000);
      },
    })),
  },
  {
    name: 'malformed SSE chunk',
    guarantee: 'A malformed chunk in a healthy stream is skipped; the client gets the whole answer and [DONE].',
    variants: both((fallback) => ({
      fallback,
      expected: 'stream complete + [DONE] from primary, no malformed line forwarded',
      run: async (h, id, note) => {
        primaryFault(h, id, { kind: 'malformed-chunk', atChunk: 10 });
        const r = await h.call(id, { stream: true });
        note(describeCall(r, h, id));
        expectWhole(r, 'primary');
        expect(r.sse?.malformed).toEqual([]);
      },
    })),
  },
  {
    name: 'missing [DONE]',
    guarantee: 'A stream that ends cleanly without [DONE] is finished with [DONE] at once and its usage settled.',
    variants: both((fallback) => ({
      fallback,
      expected: 'stream complete + [DONE]; usage ok with 60 completion tokens',
      run: async (h, id, note) => {
        primaryFault(h, id, { kind: 'no-done' });
        const r = await h.call(id, { stream: true, body: { stream_options: { include_usage: true } } });
        const usage = await h.usage(r.headers.get('x-request-id') ?? '');
        note(`${describeCall(r, h, id)}; usage ${usage.outcome} ${usage.completionTokens} tokens`);
        expectWhole(r, 'primary');
        expect(usage.completionTokens).toBe(60);
        expect(usage.status).toBe(200);
      },
    })),
  },
  {
    name: 'context-length 400',
    guarantee:
      'context_length_exceeded is never resent unchanged to the same entry: an entry with a larger or unknown window serves, else that 400 as is.',
    variants: [
      {
        fallback: true,
        spec: { primaryEntry: { context_window: 8192 } },
        expected: '200 complete from backup; primary 1×',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'context-length' }, true);
          const r = await h.call(id);
          note(describeCall(r, h, id));
          expectWhole(r, 'backup');
          expect(seen(h.primary, id)).toBe(1);
        },
      },
      {
        fallback: false,
        spec: { primaryEntry: { context_window: 8192 } },
        expected: '400 context_length_exceeded as is; primary 1×',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'context-length' }, true);
          const r = await h.call(id);
          note(describeCall(r, h, id));
          expectClearError(r, [400], 'context_length_exceeded');
          expect(seen(h.primary, id)).toBe(1);
        },
      },
    ],
  },
  {
    name: 'content-filter 400',
    guarantee: 'A content-policy 400 is returned as is: no retry, no other entry, no cooldown.',
    variants: both((fallback) => ({
      fallback,
      expected: '400 content_policy_violation; primary 1×, backup 0×; next request served by primary',
      run: async (h, id, note) => {
        primaryFault(h, id, { kind: 'content-filter' });
        const r = await h.call(id);
        const first = describeCall(r, h, id);
        const next = await h.call(id);
        note(`${first}; next: ${next.status} by ${next.headers.get('x-aisbf-provider')}`);
        expectClearError(r, [400], 'content_policy_violation');
        expect(seen(h.backup, `${id}-fb`)).toBe(0);
        expectWhole(next, 'primary');
        expect(seen(h.primary, id)).toBe(2);
      },
    })),
  },
  {
    name: '408 once',
    guarantee: 'A request timeout (408) from the backend is retried once on the same entry, like a 5xx.',
    variants: [
      {
        fallback: true,
        expected: '200 complete from primary; primary 2×, backup 0×',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'status', status: 408 });
          const r = await h.call(id);
          note(describeCall(r, h, id));
          expectWhole(r, 'primary');
          expect(seen(h.primary, id)).toBe(2);
        },
      },
    ],
  },
  {
    name: '401 from the backend (its key is wrong)',
    guarantee:
      "A backend refusing aisbf's key is a failure of that entry, not the client's: the next entry serves, never retried on the same entry.",
    variants: [
      {
        fallback: true,
        expected: '200 complete from backup; primary 1×',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'status', status: 401 }, true);
          const r = await h.call(id);
          note(describeCall(r, h, id));
          expectWhole(r, 'backup');
          expect(seen(h.primary, id)).toBe(1);
        },
      },
      {
        fallback: false,
        expected: 'clear 5xx upstream error (not a 401 blaming the client); primary 1×',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'status', status: 401 }, true);
          const r = await h.call(id);
          note(describeCall(r, h, id));
          expectClearError(r, [502, 503]);
          expect(seen(h.primary, id)).toBe(1);
        },
      },
    ],
  },
  {
    name: 'total budget',
    guarantee: 'No rule waits past timeout_total_s: a Retry-After longer than the remaining budget is not waited out.',
    variants: [
      {
        fallback: true,
        spec: { rotation: { timeout_total_s: 1, retry_after_max_s: 5 } },
        expected: 'complete answer (backup) or a clear error, within 1.5 s despite Retry-After: 3',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'rate-limit', retryAfterS: 3 }, true);
          const r = await h.call(id);
          note(describeCall(r, h, id));
          expect(r.ms).toBeLessThan(1500);
          if (r.status === 200) expectWhole(r, 'backup');
          else expectClearError(r, [429, 503, 504]);
        },
      },
      {
        fallback: false,
        spec: { rotation: { timeout_total_s: 1, retry_after_max_s: 5 } },
        expected: 'clear error within 1.5 s despite Retry-After: 3; primary 1×',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'rate-limit', retryAfterS: 3 }, true);
          const r = await h.call(id);
          note(describeCall(r, h, id));
          expect(r.ms).toBeLessThan(1500);
          expectClearError(r, [429, 503, 504]);
          expect(seen(h.primary, id)).toBe(1);
        },
      },
    ],
  },
  {
    name: 'provider flapping',
    guarantee:
      'A failing entry cools down (not contacted while cooling), and after its cooldown one live request probes it; success puts it back in service.',
    variants: [
      {
        fallback: true,
        spec: { rotation: { allowed_fails: 1 }, primaryEntry: { error_cooldown: 1 } },
        expected: 'backup serves while primary cools (primary not contacted), primary serves again after 1 s cooldown',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'status', status: 503 }, true);
          const first = await h.call(id);
          const afterFirst = seen(h.primary, id);
          const during = [await h.call(id), await h.call(id)];
          const afterDuring = seen(h.primary, id);
          h.primary.setDefault({ kind: 'ok', model: id });
          await sleep(1200);
          const probe = await h.call(id);
          const again = await h.call(id);
          note(
            `failing: ${[first, ...during].map((r) => r.headers.get('x-aisbf-provider')).join(',')}; primary contacted ${afterFirst}× then ${afterDuring - afterFirst}× while cooling; recovered: ${[probe, again].map((r) => r.headers.get('x-aisbf-provider')).join(',')}`,
          );
          for (const r of [first, ...during]) expectWhole(r, 'backup');
          expect(afterDuring).toBe(afterFirst);
          expectWhole(probe, 'primary');
          expectWhole(again, 'primary');
        },
      },
    ],
  },
  {
    name: 'usage accounting under failover',
    guarantee:
      "The answer's model and the usage record name what actually served; failed attempts are recorded, not billed.",
    variants: [
      {
        fallback: true,
        expected: 'usage names backup and its model, 60 tokens billed, failed primary attempts listed',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'status', status: 503 }, true);
          const r = await h.call(id, { stream: true, body: { stream_options: { include_usage: true } } });
          const usage = await h.usage(r.headers.get('x-request-id') ?? '');
          note(
            `${describeCall(r, h, id)}; usage ${usage.provider}/${usage.model} ${usage.completionTokens} tokens, attempts ${usage.attempts.map((a) => `${a.provider}:${a.outcome}`).join(',')}`,
          );
          expectWhole(r, 'backup');
          expect((r.sse?.json[0] as { model?: string }).model).toBe(`${id}-fb`);
          expect(usage).toMatchObject({ provider: 'backup', model: `${id}-fb`, completionTokens: 60, status: 200 });
          const failed = usage.attempts.filter((a) => a.provider === 'primary');
          expect(failed.length).toBeGreaterThanOrEqual(1);
          expect(failed.every((a) => a.outcome !== 'ok')).toBe(true);
          expect(usage.attempts.at(-1)).toMatchObject({ provider: 'backup', outcome: 'ok' });
        },
      },
    ],
  },
  {
    name: 'client disconnect mid-stream',
    guarantee: 'A client that goes away cancels the upstream request, and the usage event is still written.',
    variants: [
      {
        fallback: false,
        expected: 'upstream request aborted within 2 s; usage outcome client_disconnect',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'ok', chunkDelayMs: 40 });
          const r = await h.call(id, { stream: true, disconnectAfterChunks: 5 });
          await h.primary.waitFor(
            (reqs) => reqs.some((q) => (q.body as { model?: string }).model === id && q.endedAt !== null),
            2000,
          );
          const upstream = h.primary.requests.find((q) => (q.body as { model?: string }).model === id);
          const usage = await h.usage(r.headers.get('x-request-id') ?? '');
          note(
            `client left after 5 chunks; upstream aborted=${upstream?.aborted} ${(upstream?.chunksSent ?? 60) < 60 ? 'before' : 'after'} its last chunk; usage ${usage.outcome}`,
          );
          expect(r.ended).toBe('disconnected');
          expect(upstream?.aborted).toBe(true);
          expect(upstream?.chunksSent).toBeLessThan(60);
          expect(usage.outcome).toBe('client_disconnect');
        },
      },
    ],
  },
  {
    name: 'cut at 40/60, midstream continue',
    guarantee:
      'With midstream: "continue", a cut stream is continued on a prefill-capable entry in the same stream: the official SDK receives one whole answer.',
    variants: [
      {
        fallback: true,
        spec: { rotation: { midstream: 'continue' }, backupEntry: { prefill: true } },
        expected: 'openai SDK stream yields the full 60 words under one id; backup got the 40-word prefill',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'cut', afterChunks: 40 });
          const client = new OpenAI({
            baseURL: `${h.dataPlane.url}/v1`,
            apiKey: 'unused',
            maxRetries: 0,
            defaultHeaders: { authorization: `Bearer ${TOKEN}` },
          });
          const stream = await client.chat.completions.create({
            model: `r-${id}`,
            messages: [{ role: 'user', content: 'Say the words.' }],
            stream: true,
          });
          let text = '';
          const ids = new Set<string>();
          for await (const chunk of stream) {
            ids.add(chunk.id);
            text += chunk.choices[0]?.delta?.content ?? '';
          }
          const prefill = h.backup.requests.find((q) => (q.body as { model?: string }).model === `${id}-fb`)?.body as
            { messages?: Array<{ role: string; content: string }> } | undefined;
          note(
            `SDK got ${text.split(' ').length} words, ids ${ids.size}; backup prefill "${prefill?.messages?.at(-1)?.content.slice(0, 12)}…" (${prefill?.messages?.at(-1)?.content.split(' ').length} words)`,
          );
          expect(text).toBe(WHOLE);
          expect(ids.size).toBe(1);
          expect(prefill?.messages?.at(-1)).toEqual({
            role: 'assistant',
            content: WHOLE.split(' ').slice(0, 40).join(' '),
          });
        },
      },
    ],
  },
  {
    name: 'stall, midstream continue',
    guarantee: 'A stalled stream is detected by the idle timeout and rescued the same way as a cut.',
    variants: [
      {
        fallback: true,
        spec: { rotation: { midstream: 'continue' }, backupEntry: { prefill: true } },
        expected: 'stream complete + [DONE], first 20 words from primary, the rest from backup',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'stall', afterChunks: 20 });
          const r = await h.call(id, { stream: true });
          note(describeCall(r, h, id));
          expect(r.status).toBe(200);
          expect(r.sse?.text).toBe(WHOLE);
          expect(r.sse?.done).toBe(true);
          expect(r.sse?.errors).toEqual([]);
          expect(seen(h.backup, `${id}-fb`)).toBe(1);
        },
      },
    ],
  },
  {
    name: 'cut, continue refused by backup',
    guarantee:
      'If the only prefill candidate refuses the prefill, the client gets the original interruption error, never the prefill refusal.',
    variants: [
      {
        fallback: true,
        spec: { rotation: { midstream: 'continue' }, backupEntry: { prefill: true } },
        expected: '40 words, then one upstream_stream_interrupted error event, no [DONE]',
        run: async (h, id, note) => {
          primaryFault(h, id, { kind: 'cut', afterChunks: 40 });
          h.backup.setDefault({ kind: 'refuse-prefill', model: `${id}-fb` });
          const r = await h.call(id, { stream: true });
          note(describeCall(r, h, id));
          expectInterrupted(r, 40);
          expect(JSON.stringify(r.sse?.errors)).not.toContain('prefill');
        },
      },
    ],
  },
];

const cases = SCENARIOS.flatMap((s, i) =>
  s.variants.map((v) => ({
    scenario: s,
    variant: v,
    id: `s${String(i + 1).padStart(2, '0')}${v.fallback ? 'w' : 'n'}`,
  })),
);
const order = cases.map((c) => `${c.scenario.name}|${c.variant.fallback ? 'yes' : 'no'}`);
const scorecard = createScorecard();
/** Each case's failure (undefined = passed), filled by beforeAll. */
const outcomes = new Map<string, unknown>();
let h: Harness | undefined;

// All scenarios run at once (each on its own model, rotation and cooldown keys), so the whole
// scorecard costs about its slowest scenario; the `it`s below report each outcome.
beforeAll(async () => {
  h = await startHarness([
    ...cases.map((c) => ({ id: c.id, fallback: c.variant.fallback, ...c.variant.spec })),
    { id: 'warmup', fallback: true },
  ]);
  const harness = h;
  // A fresh process compiles its code paths on first use; warm both upstream paths first so the
  // 0.5 s timeouts measure the faults, not the JIT.
  for (let i = 0; i < 3; i += 1) {
    await harness.call('warmup');
    await harness.call('warmup', { stream: true });
  }
  harness.primary.setDefault({ kind: 'status', status: 503, model: 'warmup' });
  await harness.call('warmup', { stream: true });
  await runLimited(cases, 8, async (c) => {
    let observed = '(no observation)';
    const row = {
      scenario: c.scenario.name,
      fallback: c.variant.fallback ? ('yes' as const) : ('no' as const),
      expected: c.variant.expected,
      guarantee: c.scenario.guarantee,
    };
    try {
      await c.variant.run(harness, c.id, (o) => {
        observed = o;
      });
      scorecard.record({ ...row, observed, pass: true });
      outcomes.set(c.id, undefined);
    } catch (error) {
      const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
      scorecard.record({ ...row, observed: `${observed} — ${reason}`, pass: false });
      outcomes.set(c.id, error);
    }
  });
}, 30_000);

/** Runs `work` over `items` with at most `limit` in flight (the box has 2 shared cores). */
async function runLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(lanes);
}

const DOC = new URL('../../docs/reliability.md', import.meta.url);
const block = (): string => scorecard.renderGuarantees(SCENARIOS.map((s) => s.name)) + '\n\n' + scorecard.render(order);

afterAll(async () => {
  await h?.close();
  process.stdout.write(`\nFault scorecard (data plane as a process, mock upstreams)\n\n${scorecard.render(order)}\n\n`);
});

describe('fault scorecard', () => {
  for (const c of cases) {
    it(`${c.scenario.name} (${c.variant.fallback ? 'with' : 'without'} fallback): ${c.variant.expected}`, () => {
      expect(outcomes.has(c.id)).toBe(true);
      const failure = outcomes.get(c.id);
      if (failure !== undefined) throw failure;
    });
  }

  // The doc states what this suite observes, so it cannot drift from the code: a behaviour change
  // shows up here, and AISBF_UPDATE_DOCS=1 rewrites the block from the run.
  it('docs/reliability.md shows exactly the scorecard this run produced', () => {
    const doc = readFileSync(DOC, 'utf8');
    if (scenarioEnv.updateDocs) writeFileSync(DOC, withScorecardBlock(doc, block()));
    else expect(scorecardBlockOf(doc), 'run with AISBF_UPDATE_DOCS=1 to rewrite it').toBe(block());
  });
});
