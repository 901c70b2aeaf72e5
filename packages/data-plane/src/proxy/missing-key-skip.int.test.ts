import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startHarness, type Harness } from '../test-harness';

/**
 * docs/context.md "Keys": a provider marked `api_key_required` that has no key in the snapshot is
 * never sent a request: its entry is skipped with the reason, a direct route to it refused.
 */
describe('api_key_required without a key at request time', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      providers: [
        { id: 'keyless', models: ['m'], extra: { apiKeyRequired: true, apiKeyEnc: null } },
        { id: 'backup', models: ['m'] },
      ],
      rotations: [
        {
          id: 'r',
          config: {
            providers: [
              { provider_id: 'keyless', model: 'm', weight: 5 },
              { provider_id: 'backup', model: 'm', weight: 1 },
            ],
          },
        },
      ],
    });
  });
  afterAll(async () => h.close());

  const chat = (model: string) =>
    post(`${h.v1}/chat/completions`, h.tokens.alice, { model, messages: [{ role: 'user', content: 'hi' }] });

  it('skips the entry with the reason and serves from the next one', async () => {
    expect((await chat('user-rotation/r')).status).toBe(200);
    expect(h.mocks['keyless']!.requests).toHaveLength(0);
    expect(h.mocks['backup']!.requests).toHaveLength(1);
    expect(h.events.at(-1)!.attempts[0]).toMatchObject({
      provider: 'keyless',
      outcome: 'skipped',
      reason: 'provider keyless sets api_key_required but has no API key stored; nothing was sent',
    });
  });

  it('refuses a direct route with a clear error and sends nothing', async () => {
    const res = await chat('user-provider/keyless/m');
    expect(res.status).toBe(503);
    const error = (JSON.parse(res.text) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('provider_key_missing');
    expect(error.message).toContain('api_key_required');
    expect(h.mocks['keyless']!.requests).toHaveLength(0);
  });
});
