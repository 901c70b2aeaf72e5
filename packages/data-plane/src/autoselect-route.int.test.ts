import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { post, startHarness, words, type Harness } from './test-harness';

/** Autoselect routes served by the proxy: decision seam, headers, failover in decision order, usage. */
describe('autoselect routes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      providers: [
        { id: 'sel', models: ['m-sel'] },
        { id: 'local', models: ['m-local'] },
        { id: 'cloud', models: ['m-cloud'] },
      ],
      rotations: [
        {
          id: 'coding-production',
          config: { providers: [{ provider_id: 'local', model: 'm-local' }], privacy: true, retry: { backoff_ms: 5 } },
        },
      ],
      autoselects: [
        {
          id: 'engineering',
          config: {
            selection_model: 'user-provider/sel/m-sel',
            fallback: 'user-provider/cloud/m-cloud',
            classify_privacy: true,
            classify_semantic: true,
            selection_timeout_ms: 2000,
            available_models: [
              {
                model_id: 'user-rotation/coding-production',
                description: 'Private code, logs, secrets, customer data.',
                privacy: true,
              },
              { model_id: 'user-provider/cloud/m-cloud', description: 'Fast hosted model for non-private tasks.' },
            ],
          },
        },
      ],
    });
  });
  afterEach(() => {
    for (const m of Object.values(h.mocks)) m.reset();
  });
  afterAll(async () => h.close());

  const ask = (content: string, extra: Record<string, unknown> = {}) =>
    post(`${h.aliceBase}/chat/completions`, h.tokens.alice, {
      model: 'engineering',
      messages: [{ role: 'user', content }],
      ...extra,
    });

  it('asks the selection model through the proxy; an unparseable pick means fallback', async () => {
    const res = await ask('write a haiku about rivers');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-autoselect-reason')).toBe('fallback');
    expect(res.headers.get('x-aisbf-route')).toBe('user-provider/cloud/m-cloud');
    expect(res.headers.get('x-aisbf-provider')).toBe('cloud');
    expect(h.mocks['sel']!.requests).toHaveLength(1);
    expect(JSON.stringify(h.mocks['sel']!.requests[0]!.body)).toContain('user-rotation/coding-production');
    const event = h.events.at(-1)!;
    expect(event).toMatchObject({
      route: 'engineering',
      autoselectReason: 'fallback',
      provider: 'cloud',
      outcome: 'ok',
    });
    expect(h.events.some((e) => e.autoselectReason === 'selection' && e.route === 'user-provider/sel/m-sel')).toBe(
      true,
    );
  });

  it('a private request stays on private routes and is never shown to a non-private selection model', async () => {
    const res = await ask('my email is jane.doe@acme-corp.de, fix the SMTP config', { stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-autoselect-reason')).toBe('privacy');
    expect(res.headers.get('x-aisbf-privacy-findings')).toContain('email');
    expect(res.headers.get('x-aisbf-provider')).toBe('local');
    expect(res.text).not.toContain('jane.doe');
    expect(h.mocks['sel']!.requests).toHaveLength(0);
    expect(h.mocks['cloud']!.requests).toHaveLength(0);
  });

  it('when the chosen route fails before the first byte, the next route of the decision serves', async () => {
    h.mocks['cloud']!.setDefault({ kind: 'status', status: 500 });
    const res = await ask('summarise the plot of a novel');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-provider')).toBe('local');
    expect([res.headers.get('x-aisbf-failover'), res.headers.get('x-aisbf-preferred-provider')]).toEqual([
      'true',
      'cloud',
    ]);
    // The failed route's backoff (250 ms) is upstream time, not aisbf's own (runRoutes sums waits).
    expect(Number(res.headers.get('x-aisbf-overhead-ms'))).toBeLessThan(150);
    expect(JSON.parse(res.text)).toMatchObject({ model: 'm-local', choices: [{ message: { content: words(1, 60) } }] });
    expect(h.events.at(-1)!.attempts.map((a) => [a.provider, a.outcome])).toEqual([
      ['cloud', 'error'],
      ['cloud', 'error'],
      ['local', 'ok'],
    ]);
  });
});
