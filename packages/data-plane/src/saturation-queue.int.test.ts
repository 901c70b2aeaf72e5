import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { post, startHarness, type Harness } from './test-harness';

/**
 * When every entry of a route is at its max_concurrency, a request waits for a free slot (up to
 * `timeout_queue_s`, within its total budget) instead of failing at once; past it, 503 `saturated`
 * with Retry-After. A client that leaves while waiting never reaches a backend.
 */
describe('waiting for a slot when every entry is saturated', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      providers: [{ id: 'gpu', models: ['m1'] }],
      rotations: [
        {
          id: 'queued',
          config: { providers: [{ provider_id: 'gpu', model: 'm1', max_concurrency: 1 }], timeout_queue_s: 3 },
        },
        {
          id: 'impatient',
          config: { providers: [{ provider_id: 'gpu', model: 'm1', max_concurrency: 1 }], timeout_queue_s: 0.1 },
        },
      ],
    });
  });
  afterEach(() => h.mocks['gpu']!.reset());
  afterAll(async () => h.close());

  const ask = (route: string, signal?: AbortSignal) =>
    fetch(`${h.aliceBase}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${h.tokens.alice}` },
      body: JSON.stringify({ model: route, messages: [{ role: 'user', content: 'hi' }] }),
      ...(signal === undefined ? {} : { signal }),
    });
  const later = <T>(ms: number, f: () => Promise<T>): Promise<T> =>
    new Promise((resolve) => setTimeout(resolve, ms)).then(f);

  it("the second request waits for the first one's slot and is then served by the same entry", async () => {
    h.mocks['gpu']!.enqueue({ kind: 'delay', ms: 300 });
    const started = Date.now();
    const [first, second] = await Promise.all([ask('queued'), later(50, () => ask('queued'))]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.headers.get('x-aisbf-provider')).toBe('gpu');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    // The wait is not aisbf's own time: it stays out of x-aisbf-overhead-ms.
    expect(Number(second.headers.get('x-aisbf-overhead-ms'))).toBeLessThan(150);
    expect(h.mocks['gpu']!.requests).toHaveLength(2);
  });

  it('past timeout_queue_s the request gets 503 saturated with Retry-After, long before the slot frees', async () => {
    h.mocks['gpu']!.enqueue({ kind: 'delay', ms: 800 });
    const firstDone = ask('impatient');
    const started = Date.now();
    const second = await later(50, () => ask('impatient'));
    const waited = Date.now() - started - 50;
    expect(second.status).toBe(503);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await second.json()).toMatchObject({ error: { code: 'saturated' } });
    expect(waited).toBeLessThan(600);
    expect((await firstDone).status).toBe(200);
  });

  it('a client that leaves while waiting is never sent upstream, and its usage says so', async () => {
    h.mocks['gpu']!.enqueue({ kind: 'delay', ms: 400 });
    const first = ask('queued');
    const controller = new AbortController();
    const second = later(50, () => ask('queued', controller.signal)).catch((error: unknown) => error);
    setTimeout(() => controller.abort(), 150);
    expect(await second).toBeInstanceOf(Error);
    expect((await first).status).toBe(200);
    await expect.poll(() => h.events.filter((e) => e.route === 'queued').at(-1)?.outcome).toBe('ok');
    expect(h.mocks['gpu']!.requests).toHaveLength(1);
    expect(
      h.events.some(
        (e) => e.route === 'queued' && e.status === 499 && e.outcome === 'client_disconnect' && e.attempts.length === 0,
      ),
    ).toBe(true);
  });
});
