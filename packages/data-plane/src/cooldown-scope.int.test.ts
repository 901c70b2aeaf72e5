import { afterEach, describe, expect, it } from 'vitest';
import type { CooldownSync } from '@aisbf/core';
import { post, startHarness, type Harness } from './test-harness';

const chat = { messages: [{ role: 'user', content: 'x' }] };

describe('cooldown scope and sharing', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("a user's failing provider never cools down the global provider of the same name", async () => {
    h = await startHarness({ providers: [{ id: 'p' }, { id: 'p', ownerId: null }] });
    h.mocks['p']!.enqueue({ kind: 'rate-limit' });
    const first = await post(`${h.v1}/chat/completions`, h.tokens.alice, { model: 'user-provider/p/m1', ...chat });
    // No other entry can absorb the backend's 429: the client gets a 429 with the cooldown's length.
    expect(first.status).toBe(429);
    expect(Number(first.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(h.mocks['p']!.requests).toHaveLength(1);
    // Alice's own p is cooling now (a 429 without Retry-After opens at once); the global p of the
    // same name is another key and serves everyone.
    expect((await post(`${h.v1}/chat/completions`, h.tokens.alice, { model: 'provider/p/m1', ...chat })).status).toBe(
      200,
    );
    expect((await post(`${h.v1}/chat/completions`, h.tokens.bob, { model: 'p/m1', ...chat })).status).toBe(200);
    expect(h.mocks['p@global']!.requests).toHaveLength(2);
  });

  it('publishes cooldowns it opens and skips entries other nodes cooled', async () => {
    const published: Array<[string, number]> = [];
    let remote: ((key: string, until: number) => void) | undefined;
    const sync: CooldownSync = {
      publish: (key, until) => void published.push([key, until]),
      publishClose: () => undefined,
      subscribe: (handler) => {
        remote = handler;
        return () => undefined;
      },
      close: async () => undefined,
    };
    h = await startHarness({
      providers: [{ id: 'a' }, { id: 'b' }],
      rotations: [
        {
          id: 'r',
          config: {
            providers: [
              { provider_id: 'a', model: 'm1', weight: 2 },
              { provider_id: 'b', model: 'm1', weight: 1 },
            ],
          },
        },
      ],
      deps: { cooldownSync: sync },
    });
    h.mocks['a']!.enqueue({ kind: 'rate-limit', retryAfterS: 30 });
    const before = Date.now();
    expect(
      (await post(`${h.v1}/chat/completions`, h.tokens.alice, { model: 'r', ...chat })).headers.get('x-aisbf-provider'),
    ).toBe('b');
    expect(published).toHaveLength(1);
    expect(published[0]![0]).toBe('u-alice|a|m1');
    expect(published[0]![1]).toBeGreaterThanOrEqual(before + 29_000);

    // Another node cooled b: this node skips it too and a serves again once its own cooldown is over.
    remote!('u-alice|b|m1', Date.now() + 60_000);
    const res = await post(`${h.v1}/chat/completions`, h.tokens.alice, { model: 'r', ...chat });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-provider')).toBe('a');
    expect(h.mocks['b']!.requests).toHaveLength(1);
  });

  it('a client that leaves before the first byte cancels the upstream attempt and is recorded', async () => {
    h = await startHarness({ providers: [{ id: 'a' }] });
    h.mocks['a']!.enqueue({ kind: 'hang' });
    const controller = new AbortController();
    const pending = fetch(`${h.v1}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.tokens.alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'user-provider/a/m1', ...chat }),
      signal: controller.signal,
    }).catch((e: unknown) => e);
    await h.mocks['a']!.waitFor((r) => r.length === 1, 2000);
    controller.abort();
    await pending;
    await h.mocks['a']!.waitFor((r) => r[0]?.aborted === true, 2000);
    await expect.poll(() => h!.events.at(-1)?.outcome, { timeout: 2000 }).toBe('client_disconnect');
    expect(h.events.at(-1)!.status).toBe(499);
  });
});
