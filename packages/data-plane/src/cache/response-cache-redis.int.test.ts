import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisResponseCacheStore } from '@aisbf/bus';
import type { ResponseCacheStore } from '@aisbf/core';
import { parseSseText, testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { post, startHarness, type Harness } from '../test-harness';

/** Two data-plane nodes (each with its own mock upstream) share one Redis response cache. */
describe('response cache shared through Redis', () => {
  let a: Harness;
  let b: Harness;
  const stores: ResponseCacheStore[] = [];
  const prefix = testRedisPrefix('rcache-dp');
  /** Store writes in flight: the answer does not wait for them, the test does. */
  const writes: Array<Promise<void>> = [];
  beforeAll(async () => {
    const node = async (): Promise<Harness> => {
      const redisStore = createRedisResponseCacheStore({ url: testRedisUrl(), prefix });
      stores.push(redisStore);
      const store: ResponseCacheStore = {
        get: (key) => redisStore.get(key),
        set: (key, value, ttlMs) => {
          const write = redisStore.set(key, value, ttlMs);
          writes.push(write);
          return write;
        },
        close: async () => undefined,
      };
      return startHarness({
        providers: [{ id: 'llm', models: ['m1'] }],
        rotations: [{ id: 'cached', config: { providers: [{ provider_id: 'llm', model: 'm1' }], cache: true } }],
        deps: { responseCache: store },
      });
    };
    a = await node();
    b = await node();
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await Promise.all(stores.map((s) => s.close()));
  });
  const calls = (h: Harness): number => h.mocks['llm']!.requests.length;

  it('a miss on one node is a hit on the other, as JSON and as SSE', async () => {
    const body = { model: 'user-rotation/cached', messages: [{ role: 'user', content: `shared ${Date.now()}` }] };
    const first = await post(`${a.v1}/chat/completions`, a.tokens.alice, body);
    expect(first.headers.get('x-aisbf-cache')).toBe('miss');
    expect(writes).toHaveLength(1);
    await Promise.all(writes);
    const second = await post(`${b.v1}/chat/completions`, b.tokens.alice, body);
    expect(second.headers.get('x-aisbf-cache')).toBe('hit');
    expect(second.text).toBe(first.text);
    const sse = parseSseText((await post(`${b.v1}/chat/completions`, b.tokens.alice, { ...body, stream: true })).text);
    expect(sse.done).toBe(true);
    expect(sse.text).toBe(
      (JSON.parse(first.text) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content,
    );
    expect(calls(a)).toBe(1);
    expect(calls(b)).toBe(0);
  });
});
