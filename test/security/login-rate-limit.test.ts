import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, ADMIN_TOKEN, createSecurityFixture, type SecurityFixture } from './security-fixture';

// docs/security.md: login is rate limited against guessing. Through tRPC's auth.login (the dashboard's
// login), with the limiter the services build by default, i.e. what `aisbf start` runs: 10
// failures per username and per client address in a 15-minute sliding window.
let f: SecurityFixture;
const login = (username: string, password: string, ip: string) =>
  f.trpc(null, 'auth.login', 'mutation', { username, password }, ip);

beforeAll(async () => {
  f = await createSecurityFixture();
  await f.gql(ADMIN_TOKEN, 'mutation { createUser(username: "erin", password: "erin-password-123") { id } }');
}, 60_000);

afterAll(async () => {
  await f?.close();
});

describe('auth.login against password guessing', () => {
  it('locks a username after 10 failures, even for the right password and from another address, then lets it in after the window', async () => {
    for (let i = 0; i < 10; i++) {
      const reply = await login('admin', `guess-${i}`, '10.0.0.1');
      expect(reply.code, reply.text).toBe('UNAUTHORIZED');
      expect(reply.text).not.toContain(`guess-${i}`);
    }
    for (const ip of ['10.0.0.1', '10.0.0.2']) {
      const locked = await login('admin', ADMIN_PASSWORD, ip);
      expect(locked.code, locked.text).toBe('TOO_MANY_REQUESTS');
      expect(locked.status).toBe(429);
      expect(locked.message).toMatch(/try again in \d+ s/);
      expect(locked.text).not.toContain(ADMIN_PASSWORD);
    }
    // Username matching is case-insensitive: ADMIN is the same lock.
    expect((await login('ADMIN', ADMIN_PASSWORD, '10.0.0.3')).code).toBe('TOO_MANY_REQUESTS');
    f.clock.now += 15 * 60_000 + 1000;
    const after = await login('admin', ADMIN_PASSWORD, '10.0.0.1');
    expect(after.code, after.text).toBeNull();
    expect(after.data).toMatchObject({ user: { username: 'admin' } });
  });

  it('locks a client address that sprays many usernames', async () => {
    for (let i = 0; i < 10; i++) expect((await login(`nobody-${i}`, 'x', '10.0.1.1')).code).toBe('UNAUTHORIZED');
    const sprayed = await login('erin', 'erin-password-123', '10.0.1.1');
    expect(sprayed.code, sprayed.text).toBe('TOO_MANY_REQUESTS');
    // Another address is not affected, and an unknown user answers like a wrong password.
    expect((await login('erin', 'erin-password-123', '10.0.1.2')).code).toBeNull();
    const unknown = await login('nobody-x', 'x', '10.0.1.3');
    const wrong = await login('erin', 'x', '10.0.1.3');
    expect(unknown.message).toBe(wrong.message);
  });

  it('a successful login does not lift its address’s lock (one valid account cannot spray others)', async () => {
    for (let i = 0; i < 9; i++) expect((await login(`sprayed-${i}`, 'x', '10.0.2.1')).code).toBe('UNAUTHORIZED');
    expect((await login('erin', 'erin-password-123', '10.0.2.1')).code).toBeNull();
    expect((await login('sprayed-9', 'x', '10.0.2.1')).code).toBe('UNAUTHORIZED');
    expect((await login('sprayed-10', 'x', '10.0.2.1')).code).toBe('TOO_MANY_REQUESTS');
  });

  it('GraphQL has no password login to guess through: only bearer tokens (256-bit) are accepted', async () => {
    const reply = await f.gql(null, 'mutation { login(username: "admin", password: "x") { id } }');
    expect(reply.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
