import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { post, startHarness, words, type Harness } from './test-harness';

/**
 * AISBF's meta entries (docs/data-plane.md): a rotation entry that is an autoselect is decided when the
 * rotation picks it, its routes are tried in the decision's order, and when they fail the rotation
 * goes on with its other entries; a private request never leaves the autoselect's private routes;
 * a candidate leading back to the rotation is a loop that ends, never a hang.
 */
describe('autoselect entries in rotations', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      providers: [
        { id: 'sel', models: ['m-sel'] },
        { id: 'cloud', models: ['m-cloud'] },
        { id: 'local', models: ['m-local'] },
        { id: 'backup', models: ['m-backup'] },
      ],
      rotations: [
        {
          id: 'private-local',
          config: { providers: [{ provider_id: 'local', model: 'm-local' }], privacy: true, retry: { backoff_ms: 5 } },
        },
        {
          id: 'front',
          config: {
            providers: [
              { route: 'user-autoselect/pick', weight: 5 },
              { provider_id: 'backup', model: 'm-backup', weight: 1 },
            ],
            retry: { backoff_ms: 5 },
          },
        },
        {
          id: 'loopy',
          config: {
            providers: [
              { route: 'user-autoselect/loop', weight: 5 },
              { provider_id: 'backup', model: 'm-backup', weight: 1 },
            ],
          },
        },
      ],
      autoselects: [
        {
          id: 'pick',
          config: {
            selection_model: 'user-provider/sel/m-sel',
            fallback: 'user-provider/cloud/m-cloud',
            classify_privacy: true,
            classify_semantic: true,
            selection_timeout_ms: 2000,
            available_models: [
              { model_id: 'user-provider/cloud/m-cloud', description: 'Hosted model for everyday tasks.' },
              { model_id: 'user-rotation/private-local', description: 'Private data stays on the LAN.', privacy: true },
            ],
          },
        },
        {
          id: 'loop',
          config: {
            selection_model: 'user-provider/sel/m-sel',
            fallback: 'user-rotation/loopy',
            classify_semantic: false,
            available_models: [
              { model_id: 'user-rotation/loopy', description: 'The rotation this autoselect sits in.' },
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

  const ask = (model: string, content: string, extra: Record<string, unknown> = {}) =>
    post(`${h.aliceBase}/chat/completions`, h.tokens.alice, { model, messages: [{ role: 'user', content }], ...extra });
  const hits = (mock: string): number => h.mocks[mock]!.requests.length;

  it('the rotation picks its autoselect entry, which decides and serves; headers and usage name the decision', async () => {
    const res = await ask('front', 'write a haiku about rivers');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-route')).toBe('user-rotation/front');
    expect(res.headers.get('x-aisbf-provider')).toBe('cloud');
    expect(res.headers.get('x-aisbf-autoselect-reason')).toBe('fallback');
    expect(JSON.parse(res.text)).toMatchObject({ model: 'm-cloud', choices: [{ message: { content: words(1, 60) } }] });
    expect([hits('sel'), hits('backup')]).toEqual([1, 0]);
    expect(h.events.at(-1)).toMatchObject({
      route: 'front',
      provider: 'cloud',
      autoselectReason: 'fallback',
      outcome: 'ok',
    });
  });

  it('streams through the autoselect entry like any entry', async () => {
    const res = await ask('front', 'list three rivers', { stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-autoselect-reason')).toBe('fallback');
    expect(res.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(res.text).toContain('"content":" w60"');
  });

  it('when every route of the decision fails before the first byte, the rotation serves from its next entry', async () => {
    h.mocks['cloud']!.setDefault({ kind: 'status', status: 500 });
    h.mocks['local']!.setDefault({ kind: 'status', status: 500 });
    const res = await ask('front', 'summarise a novel');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-provider')).toBe('backup');
    expect([res.headers.get('x-aisbf-failover'), res.headers.get('x-aisbf-preferred-provider')]).toEqual([
      'true',
      'cloud',
    ]);
    expect(h.events.at(-1)!.attempts.map((a) => [a.provider, a.outcome])).toEqual([
      ['cloud', 'error'],
      ['cloud', 'error'],
      ['local', 'error'],
      ['local', 'error'],
      ['backup', 'ok'],
    ]);
  });

  it('a private request stays on the private routes: served locally, never shown to the selection model', async () => {
    const res = await ask('front', 'my email is jane.doe@acme-corp.de, fix the SMTP config');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-provider')).toBe('local');
    expect(res.headers.get('x-aisbf-autoselect-reason')).toBe('privacy');
    expect(res.headers.get('x-aisbf-privacy-findings')).toContain('email');
    expect([hits('sel'), hits('cloud'), hits('backup')]).toEqual([0, 0, 0]);
  });

  it('a private request whose private routes fail ends with their error: the other entries never see it', async () => {
    h.mocks['local']!.setDefault({ kind: 'status', status: 500 });
    const res = await ask('front', 'my email is jane.doe@acme-corp.de, fix the SMTP config');
    expect(res.status).toBe(502);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'upstream_error' } });
    expect([hits('sel'), hits('cloud'), hits('backup')]).toEqual([0, 0, 0]);
    expect(hits('local')).toBe(2);
  });

  it('an autoselect whose candidate is the rotation it sits in is not entered twice: the loop ends at the next entry', async () => {
    const res = await ask('loopy', 'hello');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-provider')).toBe('backup');
    expect(res.headers.get('x-aisbf-autoselect-reason')).toBe('fallback');
    expect(hits('backup')).toBe(1);
  });
});
