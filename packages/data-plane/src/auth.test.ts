import { describe, expect, it } from 'vitest';
import { indexSnapshot } from '@aisbf/core';
import { createSecretBox } from '@aisbf/secrets';
import { buildTestSnapshot } from '@aisbf/testkit';
import { createAuthenticator } from './auth';

const ALICE = 'aisbf_alice_0123456789abcdefghijklmnopqrstuvwxyzABCDEF';
const BOB = 'aisbf_bob_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH';
const snapshot = (users: Array<{ username: string; token: string }>) =>
  indexSnapshot(buildTestSnapshot({ secretBox: createSecretBox('auth-test'), users }));

describe('authenticate', () => {
  it('accepts a bearer token or x-api-key, and refuses missing or unknown ones with their codes', () => {
    const auth = createAuthenticator();
    const index = snapshot([{ username: 'alice', token: ALICE }]);
    const bearer = auth(index, { authorization: `Bearer ${ALICE}` }, 0);
    expect(bearer.ok && bearer.value.user.username).toBe('alice');
    const apiKey = auth(index, { 'x-api-key': ALICE }, 0);
    expect(apiKey.ok && apiKey.value.user.username).toBe('alice');
    const missing = auth(index, {}, 0);
    expect(!missing.ok && missing.error.wireCode).toBe('missing_api_key');
    const unknown = auth(index, { authorization: `Bearer ${BOB}` }, 0);
    expect(!unknown.ok && unknown.error.wireCode).toBe('invalid_api_key');
  });

  it('remembers only a hash: a token revoked in the next snapshot fails at once', () => {
    const auth = createAuthenticator();
    const headers = { authorization: `Bearer ${ALICE}` };
    expect(auth(snapshot([{ username: 'alice', token: ALICE }]), headers, 0).ok).toBe(true);
    expect(auth(snapshot([{ username: 'alice', token: ALICE }]), headers, 0).ok).toBe(true);
    // Alice's token is gone (revoked) and Bob's is new: the memo changes neither answer.
    const next = snapshot([{ username: 'bob', token: BOB }]);
    const revoked = auth(next, headers, 0);
    expect(!revoked.ok && revoked.error.wireCode).toBe('invalid_api_key');
    const bob = auth(next, { authorization: `Bearer ${BOB}` }, 0);
    expect(bob.ok && bob.value.user.username).toBe('bob');
  });
});
