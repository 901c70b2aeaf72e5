import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestMysqlDatabase } from '@aisbf/testkit';
import { ADMIN_TOKEN, createSecurityFixture, type SecurityFixture } from './security-fixture';

// On MariaDB the per-username login lock was bypassed by spellings the collation matches to the same
// row (`ALICE `, `alicé`, `Alicé`) but the limiter keyed apart. Usernames now have one spelling
// (NFKC, trimmed, lower case) at creation and login, and a lookup accepts only that exact name.
let f: SecurityFixture;
let ip = 0;
const login = (username: string, password: string) =>
  f.trpc(null, 'auth.login', 'mutation', { username, password }, `10.5.0.${++ip}`);

beforeAll(async () => {
  f = await createSecurityFixture({ databaseUrl: await createTestMysqlDatabase('security') });
  const created = await f.gql(
    ADMIN_TOKEN,
    'mutation { createUser(username: " Alice ", password: "alice-password-1") { username } }',
  );
  expect(created.body.data?.['createUser'], created.text).toEqual({ username: 'alice' });
}, 60_000);

afterAll(async () => {
  await f?.close();
});

describe('login with spellings of a locked username (MariaDB collation)', () => {
  it('no spelling gets a fresh lock or reaches the account once alice is locked', async () => {
    for (let i = 0; i < 10; i++) expect((await login('alice', `guess-${i}`)).code).toBe('UNAUTHORIZED');
    for (const variant of ['ALICE ', 'Alice', '  alice', 'ａｌｉｃｅ']) {
      const reply = await login(variant, 'alice-password-1');
      expect(reply.code, variant).toBe('TOO_MANY_REQUESTS');
    }
    for (const variant of ['alicé', 'Alicé', 'alice\u00a0x']) {
      const reply = await login(variant, 'alice-password-1');
      expect(reply.code, variant).toBe('UNAUTHORIZED');
    }
  });

  it('a second user whose name differs only in case or spacing cannot be created', async () => {
    const reply = await f.gql(
      ADMIN_TOKEN,
      'mutation { createUser(username: "ALICE", password: "another-pass-1") { id } }',
    );
    expect(reply.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const accented = await f.gql(
      ADMIN_TOKEN,
      'mutation { createUser(username: "alicé", password: "another-pass-1") { id } }',
    );
    expect(accented.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
  });
});
