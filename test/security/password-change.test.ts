import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, ADMIN_TOKEN, createSecurityFixture, type SecurityFixture } from './security-fixture';

// An app's API token could change its user's password (and so take the account over): a password
// change now needs the current password, unless an admin changes another user's.
let f: SecurityFixture;
let erinToken = '';
const CHANGE =
  'mutation($p: String!, $c: String) { updateUser(username: "erin", password: $p, currentPassword: $c) { id } }';
const login = async (password: string) =>
  (await f.trpc(null, 'auth.login', 'mutation', { username: 'erin', password }, '10.3.3.3')).code;

beforeAll(async () => {
  f = await createSecurityFixture();
  await f.gql(ADMIN_TOKEN, 'mutation { createUser(username: "erin", password: "erin-password-1") { id } }');
  const token = await f.gql(ADMIN_TOKEN, 'mutation { createApiToken(owner: "erin", name: "app") { token } }');
  erinToken = (token.body.data!['createApiToken'] as { token: string }).token;
}, 60_000);

afterAll(async () => {
  await f?.close();
});

describe('changing a password', () => {
  it('an API token alone cannot change its user’s password', async () => {
    const reply = await f.gql(erinToken, CHANGE, { p: 'taken-over-123' });
    expect(reply.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(reply.body.errors?.[0]?.message).toMatch(/current password/);
    const wrong = await f.gql(erinToken, CHANGE, { p: 'taken-over-123', c: 'not-it' });
    expect(wrong.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await login('taken-over-123')).toBe('UNAUTHORIZED');
    expect(await login('erin-password-1')).toBeNull();
  });

  it('the current password lets the user change it (tRPC with a session the same)', async () => {
    const reply = await f.gql(erinToken, CHANGE, { p: 'erin-password-2', c: 'erin-password-1' });
    expect(reply.body.errors, reply.text).toBeUndefined();
    expect(await login('erin-password-2')).toBeNull();
    const viaTrpc = await f.trpc(erinToken, 'users.update', 'mutation', {
      username: 'erin',
      password: 'erin-password-3',
    });
    expect(viaTrpc.code).toBe('FORBIDDEN');
  });

  it('an admin changes another user’s password without it, but not their own', async () => {
    const other = await f.gql(ADMIN_TOKEN, CHANGE, { p: 'reset-by-admin-1' });
    expect(other.body.errors).toBeUndefined();
    expect(await login('reset-by-admin-1')).toBeNull();
    const own = await f.gql(
      ADMIN_TOKEN,
      'mutation { updateUser(username: "admin", password: "new-admin-pass-1") { id } }',
    );
    expect(own.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const withCurrent = await f.gql(
      ADMIN_TOKEN,
      'mutation($c: String) { updateUser(username: "admin", password: "new-admin-pass-1", currentPassword: $c) { id } }',
      { c: ADMIN_PASSWORD },
    );
    expect(withCurrent.body.errors).toBeUndefined();
  });
});
