import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseSseText } from '@aisbf/testkit';
import { post, startHarness, USERS, type Harness } from '../test-harness';
import { createMemoryResponseCacheStore } from './memory-response-cache-store';

/** docs/cache.md over real HTTP: data plane (in-memory LRU) in front of a mock upstream. */
describe('response cache (in-memory store)', () => {
  let h: Harness;
  let n = 0;
  beforeAll(async () => {
    h = await startHarness({
      providers: [
        // Global, so alice and bob can both call the same routes.
        { id: 'llm', ownerId: null, models: ['m1'] },
        { id: 'direct', ownerId: null, models: ['m1'], extra: { cache: { ttl_s: 60 } } },
        { id: 'a', ownerId: null, models: ['ma'] },
        { id: 'b', ownerId: null, models: [{ name: 'mb', prefill: true }] },
      ],
      rotations: [
        {
          id: 'cached',
          ownerId: null,
          config: {
            providers: [{ provider_id: 'llm', model: 'm1' }],
            cache: { ttl_s: 60 },
            retry: { backoff_ms: 1, same_entry: 0 },
            allowed_fails: 100,
          },
        },
        { id: 'plain', ownerId: null, config: { providers: [{ provider_id: 'llm', model: 'm1' }] } },
        {
          id: 'rescued',
          ownerId: null,
          config: {
            providers: [
              { provider_id: 'a', model: 'ma', weight: 2 },
              { provider_id: 'b', model: 'mb', weight: 1 },
            ],
            midstream: 'continue',
            cache: true,
            timeout_idle_s: 0.1,
            retry: { backoff_ms: 1 },
          },
        },
      ],
      deps: { responseCache: createMemoryResponseCacheStore() },
    });
  });
  afterEach(() => {
    for (const m of Object.values(h.mocks)) m.reset();
  });
  afterAll(async () => h.close());

  /** A prompt no other test used, so every test starts from an empty cache for its requests. */
  const fresh = (): Array<{ role: string; content: string }> => [{ role: 'user', content: `question ${++n}` }];
  const ask = (token: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    post(`${h.v1}/chat/completions`, token, { model: 'rotation/cached', ...body }, headers);
  const upstreamCalls = (id = 'llm'): number =>
    h.mocks[id]!.requests.filter((r) => r.path.endsWith('/chat/completions')).length;

  it('an identical request from the same user is a hit: one upstream call, same bytes, usage marked', async () => {
    const messages = fresh();
    const first = await ask(h.tokens.alice, { messages, temperature: 0.2 });
    const second = await ask(h.tokens.alice, { temperature: 0.2, messages });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-aisbf-cache')).toBe('miss');
    expect(second.status).toBe(200);
    expect(second.headers.get('x-aisbf-cache')).toBe('hit');
    expect(second.headers.get('x-aisbf-provider')).toBe('llm');
    expect(second.headers.get('x-aisbf-model')).toBe('m1');
    expect(second.text).toBe(first.text);
    expect(upstreamCalls()).toBe(1);
    const hit = h.events.at(-1)!;
    expect(hit).toMatchObject({
      cacheHit: true,
      costMicros: 0,
      provider: 'llm',
      model: 'm1',
      status: 200,
      outcome: 'ok',
      attempts: [],
      userId: USERS.alice.id,
    });
    expect(h.events.at(-2)!.cacheHit).toBeUndefined();
  });

  it('entries never cross users: the same request from another user misses', async () => {
    const messages = fresh();
    await ask(h.tokens.alice, { messages });
    const bob = await ask(h.tokens.bob, { messages });
    expect(bob.headers.get('x-aisbf-cache')).toBe('miss');
    expect(upstreamCalls()).toBe(2);
    expect(JSON.parse(bob.text).id).not.toBe(JSON.parse((await ask(h.tokens.alice, { messages })).text).id);
  });

  it('a changed temperature or seed misses; the same values hit', async () => {
    const messages = fresh();
    await ask(h.tokens.alice, { messages, temperature: 0.7, seed: 1 });
    expect((await ask(h.tokens.alice, { messages, temperature: 0.71, seed: 1 })).headers.get('x-aisbf-cache')).toBe(
      'miss',
    );
    expect((await ask(h.tokens.alice, { messages, temperature: 0.7, seed: 2 })).headers.get('x-aisbf-cache')).toBe(
      'miss',
    );
    expect((await ask(h.tokens.alice, { messages, temperature: 0.7 })).headers.get('x-aisbf-cache')).toBe('miss');
    expect((await ask(h.tokens.alice, { seed: 1, messages, temperature: 0.7 })).headers.get('x-aisbf-cache')).toBe(
      'hit',
    );
    expect(upstreamCalls()).toBe(4);
  });

  it('a failed answer is not cached', async () => {
    const messages = fresh();
    h.mocks['llm']!.enqueue({
      kind: 'status',
      status: 400,
      body: { error: { message: 'bad', type: 'invalid_request_error', code: null, param: null } },
    });
    expect((await ask(h.tokens.alice, { messages })).status).toBe(400);
    const again = await ask(h.tokens.alice, { messages });
    expect(again.status).toBe(200);
    expect(again.headers.get('x-aisbf-cache')).toBe('miss');
    expect(upstreamCalls()).toBe(2);
  });

  it('a cut stream is not cached', async () => {
    const messages = fresh();
    h.mocks['llm']!.enqueue({ kind: 'cut', afterChunks: 3 });
    const cut = await ask(h.tokens.alice, { messages, stream: true });
    expect(parseSseText(cut.text).errors).toHaveLength(1);
    const again = await ask(h.tokens.alice, { messages, stream: true });
    expect(again.headers.get('x-aisbf-cache')).toBe('miss');
    expect(parseSseText(again.text).done).toBe(true);
    expect(upstreamCalls()).toBe(2);
  });

  it('a stream rescued on another entry (midstream continue) is served whole but not cached', async () => {
    const messages = fresh();
    h.mocks['a']!.enqueue({ kind: 'cut', afterChunks: 5 });
    const rescued = await post(`${h.v1}/chat/completions`, h.tokens.alice, {
      model: 'rotation/rescued',
      messages,
      stream: true,
    });
    expect(parseSseText(rescued.text)).toMatchObject({ done: true, errors: [] });
    expect(h.mocks['b']!.requests).toHaveLength(1);
    const again = await post(`${h.v1}/chat/completions`, h.tokens.alice, {
      model: 'rotation/rescued',
      messages,
      stream: true,
    });
    expect(again.headers.get('x-aisbf-cache')).toBe('miss');
    expect(h.mocks['a']!.requests).toHaveLength(2);
    // The clean second answer was stored: the third is a hit.
    const third = await post(`${h.v1}/chat/completions`, h.tokens.alice, {
      model: 'rotation/rescued',
      messages,
      stream: true,
    });
    expect(third.headers.get('x-aisbf-cache')).toBe('hit');
    expect(h.mocks['a']!.requests).toHaveLength(2);
  });

  it('a streamed answer is stored once complete and replays identically as SSE and as JSON', async () => {
    const messages = fresh();
    const streamed = parseSseText((await ask(h.tokens.alice, { messages, stream: true })).text);
    expect(streamed.done).toBe(true);
    const replay = await ask(h.tokens.alice, { messages, stream: true, stream_options: { include_usage: true } });
    expect(replay.headers.get('x-aisbf-cache')).toBe('hit');
    expect(replay.headers.get('content-type')).toContain('text/event-stream');
    const sse = parseSseText(replay.text);
    expect(sse).toMatchObject({ done: true, malformed: [], errors: [], text: streamed.text });
    const chunks = sse.json as Array<{
      id: string;
      object: string;
      choices: Array<{ finish_reason: string | null }>;
      usage?: unknown;
    }>;
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set([(streamed.json[0] as { id: string }).id]));
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.some((c) => c.choices[0]?.finish_reason === 'stop')).toBe(true);
    const json = await ask(h.tokens.alice, { messages });
    expect(json.headers.get('x-aisbf-cache')).toBe('hit');
    const answer = JSON.parse(json.text) as {
      object: string;
      choices: Array<{ message: { content: string }; finish_reason: string }>;
    };
    expect(answer.object).toBe('chat.completion');
    expect(answer.choices[0]).toMatchObject({ message: { content: streamed.text }, finish_reason: 'stop' });
    expect(upstreamCalls()).toBe(1);
  });

  it('a JSON answer replays as a well-formed SSE stream with the same text', async () => {
    const messages = fresh();
    const first = JSON.parse((await ask(h.tokens.alice, { messages })).text) as {
      id: string;
      choices: Array<{ message: { content: string } }>;
    };
    const sse = parseSseText((await ask(h.tokens.alice, { messages, stream: true })).text);
    expect(sse).toMatchObject({ done: true, errors: [], text: first.choices[0]!.message.content });
    expect((sse.json[0] as { id: string }).id).toBe(first.id);
    expect(upstreamCalls()).toBe(1);
  });

  it('x-aisbf-cache: no-store bypasses; force-refresh asks upstream and stores the new answer', async () => {
    const messages = fresh();
    await ask(h.tokens.alice, { messages });
    const bypass = await ask(h.tokens.alice, { messages }, { 'x-aisbf-cache': 'no-store' });
    expect(bypass.headers.get('x-aisbf-cache')).toBe('bypass');
    const refreshed = await ask(h.tokens.alice, { messages }, { 'x-aisbf-cache': 'force-refresh' });
    expect(refreshed.headers.get('x-aisbf-cache')).toBe('miss');
    const hit = await ask(h.tokens.alice, { messages });
    expect(hit.headers.get('x-aisbf-cache')).toBe('hit');
    expect(JSON.parse(hit.text).id).toBe(JSON.parse(refreshed.text).id);
    expect(upstreamCalls()).toBe(3);
  });

  it('routes that did not opt in are never cached and carry no cache header', async () => {
    const messages = fresh();
    const a = await post(`${h.v1}/chat/completions`, h.tokens.alice, { model: 'rotation/plain', messages });
    await post(`${h.v1}/chat/completions`, h.tokens.alice, { model: 'rotation/plain', messages });
    expect(a.headers.get('x-aisbf-cache')).toBeNull();
    expect(upstreamCalls()).toBe(2);
  });

  it('a provider with cache on caches its direct routes', async () => {
    const messages = fresh();
    await post(`${h.v1}/chat/completions`, h.tokens.alice, { model: 'provider/direct/m1', messages });
    const hit = await post(`${h.v1}/chat/completions`, h.tokens.alice, { model: 'direct/m1', messages });
    expect(hit.headers.get('x-aisbf-cache')).toBe('hit');
    expect(upstreamCalls('direct')).toBe(1);
  });

  it('counts hits and misses per route in /metrics', async () => {
    const text = await h.plane.metrics();
    expect(text).toMatch(/aisbf_response_cache_requests_total\{route="rotation\/cached",result="hit"\} [1-9]/);
    expect(text).toMatch(/aisbf_response_cache_requests_total\{route="rotation\/cached",result="miss"\} [1-9]/);
    expect(text).toMatch(/aisbf_response_cache_requests_total\{route="rotation\/cached",result="bypass"\} 1/);
  });
});
