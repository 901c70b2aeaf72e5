import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseSseText } from '@aisbf/testkit';
import { post, startHarness, words, type Harness } from './test-harness';

/** docs/architecture.md "Mid-stream recovery": what the client receives after the first byte, byte-wise. */
const knobs = { timeout_first_token_s: 0.5, timeout_idle_s: 0.1, retry: { backoff_ms: 10 } };

describe('mid-stream behaviour', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      providers: [
        { id: 'a', models: ['ma'] },
        { id: 'b', models: [{ name: 'mb', prefill: true }] },
        { id: 'c', models: ['mc'] },
      ],
      rotations: [
        {
          id: 'plain',
          config: {
            providers: [
              { provider_id: 'a', model: 'ma', weight: 2 },
              { provider_id: 'b', model: 'mb', weight: 1 },
            ],
            ...knobs,
          },
        },
        {
          id: 'rescue',
          config: {
            providers: [
              { provider_id: 'a', model: 'ma', weight: 2 },
              { provider_id: 'b', model: 'mb', weight: 1 },
            ],
            midstream: 'continue',
            ...knobs,
          },
        },
        {
          id: 'rescue-c',
          config: {
            providers: [
              { provider_id: 'a', model: 'ma', weight: 3 },
              { provider_id: 'c', model: 'mc', weight: 2, prefill: true },
              { provider_id: 'b', model: 'mb', weight: 1 },
            ],
            midstream: 'continue',
            ...knobs,
          },
        },
        {
          id: 'no-prefill',
          config: {
            providers: [
              { provider_id: 'a', model: 'ma', weight: 2 },
              { provider_id: 'c', model: 'mc', weight: 1 },
            ],
            midstream: 'continue',
            ...knobs,
          },
        },
      ],
    });
  });
  afterEach(() => {
    for (const m of Object.values(h.mocks)) m.reset();
  });
  afterAll(async () => h.close());

  const stream = (route: string) =>
    post(`${h.v1}/chat/completions`, h.tokens.alice, {
      model: route,
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
    });
  const interruption = (text: string) => {
    const t = parseSseText(text);
    expect(t.done).toBe(false);
    expect(t.errors).toHaveLength(1);
    expect(t.errors[0]).toMatchObject({ code: 'upstream_stream_interrupted', type: 'upstream_error' });
    expect(JSON.parse(t.data.at(-1)!)).toHaveProperty('error');
    return t;
  };

  it('a cut after 40 of 60 words ends with one error event and no [DONE]', async () => {
    h.mocks['a']!.enqueue({ kind: 'cut', afterChunks: 40 });
    const res = await stream('plain');
    expect(res.status).toBe(200);
    const t = interruption(res.text);
    expect(t.text).toBe(words(1, 40));
    expect(h.mocks['b']!.requests).toHaveLength(0);
    expect(h.events.at(-1)).toMatchObject({ outcome: 'interrupted', provider: 'a', estimated: true });
    expect(h.events.at(-1)!.attempts.map((x) => x.outcome)).toEqual(['interrupted']);
  });

  it('a stall is caught by the idle timeout and ends the same way', async () => {
    h.mocks['a']!.enqueue({ kind: 'stall', afterChunks: 10 });
    const started = performance.now();
    const res = await stream('plain');
    const t = interruption(res.text);
    expect(t.text).toBe(words(1, 10));
    expect(performance.now() - started).toBeLessThan(1000);
    expect((t.errors[0] as { message: string }).message).toContain('stalled');
    await h.mocks['a']!.waitFor((r) => r[0]?.aborted === true, 1000);
  });

  it('the openai SDK raises the interruption instead of returning a truncated answer', async () => {
    h.mocks['a']!.enqueue({ kind: 'cut', afterChunks: 5 });
    const client = new OpenAI({ baseURL: h.aliceBase, apiKey: h.tokens.alice, maxRetries: 0 });
    const s = await client.chat.completions.create({
      model: 'plain',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    let text = '';
    await expect(
      (async () => {
        for await (const chunk of s) text += chunk.choices[0]?.delta.content ?? '';
      })(),
    ).rejects.toThrow(/incomplete/);
    expect(text).toBe(words(1, 5));
  });

  it('a malformed chunk is skipped; the answer is whole and ends with [DONE]', async () => {
    h.mocks['a']!.enqueue({ kind: 'malformed-chunk', atChunk: 10 });
    const t = parseSseText((await stream('plain')).text);
    expect([t.text, t.done, t.malformed, t.errors]).toEqual([words(1, 60), true, [], []]);
  });

  it('a clean end without [DONE] is finished with [DONE] and settled', async () => {
    h.mocks['a']!.enqueue({ kind: 'no-done' });
    const t = parseSseText((await stream('plain')).text);
    expect([t.text, t.done]).toEqual([words(1, 60), true]);
    expect(h.events.at(-1)).toMatchObject({ outcome: 'ok', completionTokens: 60, estimated: false });
  });

  it('midstream "continue": a 40-of-60 cut reaches the openai SDK as the whole 60-word answer, same id', async () => {
    h.mocks['a']!.enqueue({ kind: 'cut', afterChunks: 40 });
    const client = new OpenAI({ baseURL: h.aliceBase, apiKey: h.tokens.alice, maxRetries: 0 });
    const s = await client.chat.completions.create({
      model: 'rescue',
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
    });
    let text = '';
    const ids = new Set<string>();
    for await (const chunk of s) {
      text += chunk.choices[0]?.delta.content ?? '';
      ids.add(chunk.id);
    }
    expect(text).toBe(words(1, 60));
    expect(ids.size).toBe(1);
    const continuation = h.mocks['b']!.requests[0]!.body as { messages: Array<{ role: string; content: string }> };
    expect(continuation.messages.at(-1)).toEqual({ role: 'assistant', content: words(1, 40) });
    const event = h.events.at(-1)!;
    expect(event).toMatchObject({ outcome: 'ok', provider: 'b', model: 'mb' });
    expect(event.attempts.map((x) => [x.provider, x.outcome])).toEqual([
      ['a', 'interrupted'],
      ['b', 'ok'],
    ]);
    expect(event.completionTokens).toBeGreaterThanOrEqual(20 + 10);
  });

  it('a continuation refused by the next entry gives the client the interruption, not the refusal; the entry is remembered', async () => {
    h.mocks['a']!.enqueue({ kind: 'cut', afterChunks: 40 });
    h.mocks['c']!.enqueue({ kind: 'refuse-prefill' });
    // c claims prefill and refuses; b still accepts it, so the answer is rescued by b.
    let t = parseSseText((await stream('rescue-c')).text);
    expect([t.text, t.done]).toEqual([words(1, 60), true]);
    expect(h.mocks['c']!.requests).toHaveLength(1);
    // Next cut: c is remembered as refusing prefills and is not asked again.
    h.mocks['a']!.enqueue({ kind: 'cut', afterChunks: 10 });
    t = parseSseText((await stream('rescue-c')).text);
    expect([t.text, t.done]).toEqual([words(1, 60), true]);
    expect(h.mocks['c']!.requests).toHaveLength(1);
  });

  it('with no entry left that accepts a prefill the client gets the original interruption', async () => {
    h.mocks['a']!.enqueue({ kind: 'cut', afterChunks: 40 });
    h.mocks['b']!.setDefault({ kind: 'refuse-prefill' });
    const res = await post(`${h.v1}/chat/completions`, h.tokens.alice, {
      model: 'rescue',
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
    });
    const t = interruption(res.text);
    expect(t.text).toBe(words(1, 40));
    const message = (t.errors[0] as { message: string }).message;
    expect(message).toContain('a/ma');
    expect(message).not.toMatch(/prefill/i);
    const none = parseSseText(
      await (async () => {
        h.mocks['a']!.enqueue({ kind: 'cut', afterChunks: 3 });
        return (await stream('no-prefill')).text;
      })(),
    );
    expect(none.errors).toHaveLength(1);
    expect(h.mocks['c']!.requests).toHaveLength(0);
  });

  it('a client that disconnects cancels the upstream request and is recorded', async () => {
    h.mocks['a']!.enqueue({ kind: 'ok', chunkDelayMs: 20 });
    const controller = new AbortController();
    const res = await fetch(`${h.v1}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.tokens.alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'plain', messages: [{ role: 'user', content: 'x' }], stream: true }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await h.mocks['a']!.waitFor((r) => r[0]?.aborted === true, 2000);
    await expect.poll(() => h.events.at(-1)?.outcome, { timeout: 2000 }).toBe('client_disconnect');
  });
});
