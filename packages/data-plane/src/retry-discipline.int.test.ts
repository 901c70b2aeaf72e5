import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RotationConfigInput } from '@aisbf/core';
import type { ProviderFlag } from './proxy/attempt-plan';
import { post, startHarness, words, type Harness } from './test-harness';

/**
 * docs/architecture.md "Retry discipline", row by row, through real HTTP: what the client receives, how
 * many attempts each backend saw, and the usage record. Timeouts are tens of ms.
 */
const knobs = {
  timeout_headers_s: 0.15,
  timeout_first_token_s: 0.15,
  timeout_idle_s: 0.15,
  retry_after_max_s: 0.5,
  retry: { backoff_ms: 20 },
};
const pair = (extra: Partial<RotationConfigInput> = {}): RotationConfigInput => ({
  providers: [
    { provider_id: 'a', model: 'ma', weight: 2, context_window: 8000 },
    { provider_id: 'b', model: 'mb', weight: 1 },
  ],
  ...knobs,
  ...extra,
});

const chat = { messages: [{ role: 'user', content: 'hello' }] };

describe('retry table rows', () => {
  let h: Harness;
  let offset = 0;
  const flags: ProviderFlag[] = [];
  beforeAll(async () => {
    h = await startHarness({
      providers: [
        { id: 'a', models: ['ma'] },
        { id: 'b', models: ['mb'] },
        { id: 'dead', models: ['md'], deadEndpoint: true },
      ],
      rotations: [
        { id: 'pair', config: pair() },
        {
          id: 'dead-first',
          config: {
            providers: [
              { provider_id: 'dead', model: 'md', weight: 2 },
              { provider_id: 'b', model: 'mb', weight: 1 },
            ],
            ...knobs,
          },
        },
        { id: 'only-a', config: { providers: [{ provider_id: 'a', model: 'ma', context_window: 8000 }], ...knobs } },
        { id: 'tight', config: pair({ timeout_total_s: 0.25, timeout_headers_s: 0.2 }) },
        { id: 'silent', config: pair({ timeout_headers_s: 0.3 }) },
      ],
      deps: { clock: () => Date.now() + offset, onProviderFlagged: (f) => void flags.push(f) },
    });
  });
  afterEach(() => {
    h.mocks['a']!.reset();
    h.mocks['b']!.reset();
    offset += 10_000_000;
  });
  afterAll(async () => h.close());

  const ask = (route: string, extra: Record<string, unknown> = {}) =>
    post(`${h.v1}/chat/completions`, h.tokens.alice, { model: route, ...chat, ...extra });
  const seen = (id: 'a' | 'b') => h.mocks[id]!.requests.length;
  const servedBy = (res: { headers: Headers }) => res.headers.get('x-aisbf-provider');

  it.each([
    ['500', { kind: 'status', status: 500 }],
    ['503', { kind: 'status', status: 503 }],
    ['408', { kind: 'status', status: 408 }],
    ['409', { kind: 'status', status: 409 }],
    ['reset', { kind: 'reset' }],
  ] as const)('%s once: the same entry is retried after a short backoff and serves', async (_n, fault) => {
    h.mocks['a']!.enqueue(fault);
    const res = await ask('pair');
    expect(res.status).toBe(200);
    expect(servedBy(res)).toBe('a');
    expect(res.headers.get('x-aisbf-attempts')).toBe('2');
    expect([seen('a'), seen('b')]).toEqual([2, 0]);
    const [first, second] = h.mocks['a']!.requests;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(5);
  });

  it('500 twice: then the next entry', async () => {
    h.mocks['a']!.enqueue({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    const res = await ask('pair');
    expect([res.status, servedBy(res), seen('a'), seen('b')]).toEqual([200, 'b', 2, 1]);
    expect(h.events.at(-1)!.attempts.map((x) => x.outcome)).toEqual(['error', 'error', 'ok']);
  });

  it('refused connection: retried once, then the next entry, and cooled at once', async () => {
    const res = await ask('dead-first');
    expect([res.status, servedBy(res)]).toEqual([200, 'b']);
    expect(h.events.at(-1)!.attempts.map((x) => [x.provider, x.outcome])).toEqual([
      // Recorded as `refused` (no HTTP answer): the only outcome that judges a whole provider's health.
      ['dead', 'refused'],
      ['dead', 'refused'],
      ['b', 'ok'],
    ]);
    // The retry opened nothing; moving on after it cooled the entry at once.
    expect(h.events.at(-1)!.attempts.map((x) => x.cooldownUntil !== undefined)).toEqual([false, true, false]);
    await ask('dead-first');
    expect(h.events.at(-1)!.attempts.map((x) => x.provider)).toEqual(['b']);
  });

  it('429 with a short Retry-After: waits it out and retries the same entry once', async () => {
    h.mocks['a']!.enqueue({ kind: 'rate-limit', retryAfterS: 0.2 });
    const started = performance.now();
    const res = await ask('pair');
    expect([res.status, servedBy(res), seen('a'), seen('b')]).toEqual([200, 'a', 2, 0]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(h.events.at(-1)!.attempts.map((x) => x.outcome)).toEqual(['rate_limited', 'ok']);
  });

  it('429 twice with a short Retry-After: never a third time, cooled, next entry', async () => {
    h.mocks['a']!.enqueue({ kind: 'rate-limit', retryAfterS: 0.05 }, { kind: 'rate-limit', retryAfterS: 0.05 });
    const res = await ask('pair');
    expect([res.status, servedBy(res), seen('a'), seen('b')]).toEqual([200, 'b', 2, 1]);
  });

  it('429 with a long Retry-After: next entry at once, the entry cools for that long', async () => {
    h.mocks['a']!.enqueue({ kind: 'rate-limit', retryAfterS: 30 });
    const started = performance.now();
    const res = await ask('pair');
    expect([res.status, servedBy(res), seen('a'), seen('b')]).toEqual([200, 'b', 1, 1]);
    expect(performance.now() - started).toBeLessThan(1000);
    // The usage record says which attempt opened the cooldown, and until when (the request view shows it).
    const [cooled, served] = h.events.at(-1)!.attempts;
    expect(served!.cooldownUntil).toBeUndefined();
    expect(cooled!.cooldownUntil! - (Date.now() + offset)).toBeGreaterThan(28_000);
    expect(cooled!.cooldownUntil! - (Date.now() + offset)).toBeLessThanOrEqual(30_000);
    expect(servedBy(await ask('pair'))).toBe('b');
    expect(seen('a')).toBe(1);
    offset += 31_000;
    expect(servedBy(await ask('pair'))).toBe('a');
  });

  it('a silent backend (no headers) costs one headers-timeout, not two', async () => {
    h.mocks['a']!.enqueue({ kind: 'hang' });
    const started = performance.now();
    const res = await ask('silent');
    const elapsed = performance.now() - started;
    expect([res.status, servedBy(res), seen('a'), seen('b')]).toEqual([200, 'b', 1, 1]);
    // One 300 ms headers timeout, then b answers; two timeouts would take at least 600 ms.
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(580);
    expect(h.events.at(-1)!.attempts.map((x) => x.outcome)).toEqual(['timeout', 'ok']);
    await h.mocks['a']!.waitFor((r) => r[0]?.aborted === true, 1000);
  });

  it('streaming, no first token in time: next entry at once, the slow attempt is cancelled', async () => {
    h.mocks['a']!.enqueue({ kind: 'slow-first-token', delayMs: 2000 });
    const res = await ask('pair', { stream: true });
    expect([res.status, servedBy(res), seen('a'), seen('b')]).toEqual([200, 'b', 1, 1]);
    expect(res.text).toContain(' w60');
    expect(res.text.endsWith('data: [DONE]\n\n')).toBe(true);
    await h.mocks['a']!.waitFor((r) => r[0]?.aborted === true, 1000);
  });

  it.each([401, 403, 404])(
    "%i: the entry's own key or model is wrong: next entry, counted as a failure",
    async (status) => {
      h.mocks['a']!.enqueue({ kind: 'status', status });
      const res = await ask('pair');
      expect([res.status, servedBy(res), seen('a'), seen('b')]).toEqual([200, 'b', 1, 1]);
      expect(flags.at(-1)).toEqual({ ownerId: 'u-alice', providerId: 'a', model: 'ma', status });
    },
  );

  it('400 context_length_exceeded: never resent to that entry, served by a larger or unknown window', async () => {
    h.mocks['a']!.enqueue({ kind: 'context-length' });
    const res = await ask('pair');
    expect([res.status, servedBy(res), seen('a'), seen('b')]).toEqual([200, 'b', 1, 1]);
  });

  it('400 context_length_exceeded with no larger window left: that 400 as is', async () => {
    h.mocks['a']!.enqueue({ kind: 'context-length' });
    const res = await ask('only-a');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'context_length_exceeded' } });
    expect(seen('a')).toBe(1);
  });

  it.each([
    ['content policy', { kind: 'content-filter' }, 400, 'content_policy_violation'],
    [
      'other 400',
      {
        kind: 'status',
        status: 400,
        body: {
          error: { message: 'bad tool schema', type: 'invalid_request_error', code: 'invalid_tools', param: 'tools' },
        },
      },
      400,
      'invalid_tools',
    ],
    [
      '422',
      {
        kind: 'status',
        status: 422,
        body: {
          error: { message: 'unprocessable', type: 'invalid_request_error', code: 'unprocessable', param: null },
        },
      },
      422,
      'unprocessable',
    ],
  ] as const)('%s: returned as is, no retry, no other entry, no cooldown', async (_n, fault, status, code) => {
    h.mocks['a']!.enqueue(fault);
    const res = await ask('pair');
    expect(res.status).toBe(status);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code } });
    expect([seen('a'), seen('b')]).toEqual([1, 0]);
    expect(h.events.at(-1)).toMatchObject({ status, outcome: 'error' });
    for (let i = 0; i < 3; i++) expect(servedBy(await ask('pair'))).toBe('a');
  });

  it('the whole request never exceeds its total budget', async () => {
    h.mocks['a']!.enqueue({ kind: 'hang' });
    h.mocks['b']!.enqueue({ kind: 'hang' });
    const started = performance.now();
    const res = await ask('tight');
    const elapsed = performance.now() - started;
    expect(res.status).toBe(504);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'upstream_timeout' } });
    expect(elapsed).toBeLessThan(500); // 250 ms budget plus scheduling slack on a loaded machine
    expect(h.events.at(-1)).toMatchObject({ status: 504, outcome: 'error', provider: null });
  });

  it('a stream request answered by a 200 without any SSE event is a failure, not an empty answer', async () => {
    h.mocks['a']!.enqueue({ kind: 'status', status: 200, body: { not: 'a stream' } });
    const res = await ask('pair', { stream: true });
    expect([res.status, servedBy(res), seen('a')]).toEqual([200, 'a', 2]);
    expect(res.text).toContain(' w60');
  });

  it('a direct provider route follows the same table (500 once, then serves)', async () => {
    h.mocks['b']!.enqueue({ kind: 'status', status: 502 });
    const res = await ask('user-provider/b/mb');
    expect([res.status, seen('b')]).toEqual([200, 2]);
    expect(JSON.parse(res.text)).toMatchObject({ choices: [{ message: { content: words(1, 60) } }] });
  });
});
