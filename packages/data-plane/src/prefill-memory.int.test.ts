import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisPrefillRefusals } from '@aisbf/bus';
import type { PrefillRefusals } from '@aisbf/core';
import { parseSseText, testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { post, startHarness, startSecondNode, words, type Harness } from './test-harness';

/**
 * docs/reliability.md "After the first byte": a prefill (the continuation of a cut stream) goes
 * only to entries marked `prefill: true`; one that refuses once is remembered by the whole cluster
 * (Redis), so no node sends it another, and the client never sees a refusal.
 */
const prefix = testRedisPrefix('prefill');
const closers: Array<() => Promise<void>> = [];
const refusals = (name: string): PrefillRefusals => {
  const r = createRedisPrefillRefusals({ url: testRedisUrl(), prefix, name: `test-prefill-${name}` });
  closers.push(() => r.close());
  return r;
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    providers: [
      { id: 'a', models: ['ma'] },
      // Marked as taking a prefill, but its backend refuses them.
      { id: 'b', models: [{ name: 'mb', prefill: true }] },
      // Never marked: never sent a prefill.
      { id: 'c', models: ['mc'] },
    ],
    rotations: [
      {
        id: 'rescue',
        config: {
          providers: [
            { provider_id: 'a', model: 'ma', weight: 3 },
            { provider_id: 'b', model: 'mb', weight: 2 },
            { provider_id: 'c', model: 'mc', weight: 1 },
          ],
          midstream: 'continue',
          timeout_idle_s: 0.2,
          retry: { backoff_ms: 10 },
        },
      },
    ],
    deps: { prefillRefusals: refusals('node-1') },
  });
  closers.push(() => h.close());
});
afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const cutStream = async (v1: string) => {
  h.mocks['a']!.enqueue({ kind: 'cut', afterChunks: 40 });
  const res = await post(`${v1}/chat/completions`, h.tokens.alice, {
    model: 'rescue',
    messages: [{ role: 'user', content: 'count' }],
    stream: true,
  });
  return { status: res.status, t: parseSseText(res.text) };
};

const expectInterrupted = ({ status, t }: Awaited<ReturnType<typeof cutStream>>): void => {
  expect(status).toBe(200);
  expect([t.text, t.done]).toEqual([words(1, 40), false]);
  expect(t.errors).toEqual([expect.objectContaining({ code: 'upstream_stream_interrupted' })]);
  // Never the backend's refusal.
  expect(JSON.stringify(t.errors)).not.toContain('prefill');
};

const lastIsAssistant = (body: unknown): boolean =>
  ((body as { messages?: Array<{ role: string }> }).messages ?? []).at(-1)?.role === 'assistant';

describe('prefill memory across data-plane nodes (Redis)', () => {
  it('a refusal on node 1 means no node sends that entry a prefill again; an entry without the mark never gets one', async () => {
    h.mocks['b']!.setDefault({ kind: 'refuse-prefill' });
    const node2 = await startSecondNode(h, { prefillRefusals: refusals('node-2') });
    closers.push(() => node2.close());
    const seen = new Set<string>();
    refusals('observer').subscribe((key) => seen.add(key));
    await new Promise((resolve) => setTimeout(resolve, 200)); // subscribed

    expectInterrupted(await cutStream(h.v1));
    expect(h.mocks['b']!.requests.filter((r) => lastIsAssistant(r.body))).toHaveLength(1);

    for (let waited = 0; !seen.has('u-alice|b|mb') && waited < 3_000; waited += 25)
      await new Promise((resolve) => setTimeout(resolve, 25));
    expect([...seen]).toEqual(['u-alice|b|mb']);
    await new Promise((resolve) => setTimeout(resolve, 100)); // node 2 hears the same announcement
    expectInterrupted(await cutStream(node2.v1));
    // A node started after the refusal reads it at start.
    const node3 = await startSecondNode(h, { prefillRefusals: refusals('node-3') });
    closers.push(() => node3.close());
    await new Promise((resolve) => setTimeout(resolve, 200));
    expectInterrupted(await cutStream(node3.v1));

    expect(h.mocks['b']!.requests.filter((r) => lastIsAssistant(r.body))).toHaveLength(1);
    expect(h.mocks['c']!.requests.filter((r) => lastIsAssistant(r.body))).toHaveLength(0);
    expect(h.mocks['a']!.requests).toHaveLength(3);
  });
});
