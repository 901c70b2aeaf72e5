import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startHarness, type Harness } from './test-harness';

/**
 * Regression for docs/security.md finding 1: an upstream 400 is passed through as is, and an
 * upstream that echoes the key it was sent handed a global provider's (the admin's) key to any user.
 */
describe('an upstream error never echoes the provider key to the client', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ providers: [{ id: 'hf', ownerId: null, models: ['m1'] }] });
  });
  afterAll(async () => h.close());

  const echo = (key: string): Record<string, unknown> => ({
    error: {
      message: `bad key ${key}; url-encoded ${encodeURIComponent(key)}; base64 ${Buffer.from(key).toString('base64')}; header Bearer ${key}; other sk-live-abcdef0123456789`,
      type: 'invalid_request_error',
      code: 'invalid_api_key_echo',
      param: null,
    },
  });

  it.each([false, true])('stream=%s: status, type and code survive, every form of the key is gone', async (stream) => {
    const key = h.providerKey;
    h.mocks['hf']!.enqueue({ kind: 'status', status: 400, body: echo(key) });
    const res = await post(`${h.url}/v1/chat/completions`, h.tokens.alice, {
      model: 'provider/hf/m1',
      messages: [{ role: 'user', content: 'hi' }],
      stream,
    });
    expect(res.status).toBe(400);
    const body = JSON.parse(res.text) as { error: { message: string; type: string; code: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.code).toBe('invalid_api_key_echo');
    expect(body.error.message).toContain('bad key');
    expect(res.text).not.toContain(key);
    expect(res.text).not.toContain(encodeURIComponent(key));
    expect(res.text).not.toContain(Buffer.from(key).toString('base64'));
    expect(res.text).not.toContain('sk-live-abcdef0123456789');
    expect(res.text).toContain('[redacted]');
  });

  it('a body without secrets passes through byte for byte', async () => {
    const plain = {
      error: {
        message: 'This model does not support tools.',
        type: 'invalid_request_error',
        code: 'unsupported',
        param: 'tools',
      },
    };
    h.mocks['hf']!.enqueue({ kind: 'status', status: 400, body: plain });
    const res = await post(`${h.url}/v1/chat/completions`, h.tokens.alice, {
      model: 'provider/hf/m1',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toEqual(plain);
  });
});
