import { describe, expect, it } from 'vitest';
import { scrubSecretsText, sentSecrets } from './scrub-upstream-secrets';

describe('scrubSecretsText', () => {
  const key = 'my-provider-key+/=42';
  it.each([
    ['plain', `bad key ${key}`],
    ['url-encoded', `bad key ${encodeURIComponent(key)}`],
    ['base64', `bad key ${Buffer.from(key).toString('base64')}`],
    ['base64url', `bad key ${Buffer.from(key).toString('base64url')}`],
  ])('removes the key in its %s form', (_form, text) => {
    const out = scrubSecretsText(text, [key]);
    expect(out).toBe('bad key [redacted]');
  });

  it.each([
    'Authorization: Bearer abcdefgh12345678',
    'key sk-proj-ABCDEFGH12345678',
    'token aisbf_abcdefghijklmnop',
    'ghp_abcdefghijklmnopqrstuvwx',
  ])('removes a secret-shaped string: %s', (text) => {
    const out = scrubSecretsText(text, []);
    expect(out).toContain('[redacted]');
    expect(out).not.toMatch(/12345678|abcdefghijklmnop|abcdefghijklmnopqrstuvwx/);
  });

  it('leaves ordinary error text and short keys alone', () => {
    const text = 'This model does not support tools (skip-list, task-force).';
    expect(scrubSecretsText(text, ['abc'])).toBe(text);
  });

  it('collects the bearer key and static credential headers, not content headers', () => {
    expect(
      sentSecrets({
        authorization: 'Bearer k-123456',
        'x-api-key': 'xk-999999',
        'content-type': 'application/json',
        accept: 'text/event-stream',
      }),
    ).toEqual(['k-123456', 'xk-999999']);
  });
});
