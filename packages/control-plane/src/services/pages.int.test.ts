import { sql } from 'kysely';
import { insertUser, pageProvidersQuery, pageUsersQuery, upsertProvider } from '@aisbf/db';
import { createTestMysqlDatabase } from '@aisbf/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServicesFixture, DIALECTS, type ServicesFixture } from '../test-support/services-fixture';
import type { Actor } from './actor';
import { MAX_PAGE_SIZE } from './page-input';

/** docs/control-plane.md "Pages": lists that grow with sign-ups come in bounded, keyset-ordered pages. */
describe.each(DIALECTS)('paged lists on %s', (dialect, makeUrl) => {
  let f: ServicesFixture;
  let alice: Actor;
  const names = [...Array.from({ length: 120 }, (_, i) => `user-${String(i).padStart(3, '0')}`), 'a_b', 'axb'];

  beforeAll(async () => {
    f = await createServicesFixture(await makeUrl());
    for (const username of names) await insertUser(f.handle.db, { username, passwordHash: null, role: 'user', now: 0 });
    alice = await f.user('alice');
    for (const id of ['alpha', 'beta', 'gamma', 'delta-beta'])
      await upsertProvider(
        f.handle.db,
        {
          ownerId: alice.userId,
          id,
          type: 'openai',
          endpoint: 'http://127.0.0.1:9/v1',
          enabled: true,
          adminOnly: false,
          settings: {},
        },
        0,
      );
  });
  afterAll(async () => f?.close());

  it('walks every user once, in username order, page by page', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page = await f.services.users.page(f.admin, { first: 50, after });
      expect(page.items.length).toBeLessThanOrEqual(50);
      seen.push(...page.items.map((u) => u.username));
      after = page.nextCursor;
      pages += 1;
    } while (after !== null);
    const all = [...names, 'alice', 'admin'].sort();
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 50));
    // The default page size, and a full last page has no next cursor.
    expect((await f.services.users.page(f.admin)).items).toHaveLength(50);
    expect((await f.services.users.page(f.admin, { first: all.length })).nextCursor).toBeNull();
  });

  it('searches on the server: names containing the text, `_` and `%` taken literally', async () => {
    const page = await f.services.users.page(f.admin, { search: 'user-11', first: 5 });
    expect(page.items.map((u) => u.username)).toEqual(['user-110', 'user-111', 'user-112', 'user-113', 'user-114']);
    const next = await f.services.users.page(f.admin, { search: 'user-11', first: 5, after: page.nextCursor });
    expect(next.items.map((u) => u.username)).toEqual(['user-115', 'user-116', 'user-117', 'user-118', 'user-119']);
    expect(next.nextCursor).toBeNull();
    expect((await f.services.users.page(f.admin, { search: '_' })).items.map((u) => u.username)).toEqual(['a_b']);
    expect((await f.services.users.page(f.admin, { search: '%' })).items).toEqual([]);
    expect((await f.services.users.page(f.admin, { search: '  USER-007 ' })).items.map((u) => u.username)).toEqual([
      'user-007',
    ]);
  });

  it('refuses bad arguments naming the field, and non-admins', async () => {
    await expect(f.services.users.page(f.admin, { first: MAX_PAGE_SIZE + 1 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      path: 'first',
    });
    await expect(f.services.users.page(f.admin, { first: 0 })).rejects.toMatchObject({ path: 'first' });
    await expect(f.services.users.page(f.admin, { after: '!!not a cursor' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      path: 'after',
    });
    await expect(f.services.users.page(f.admin, { search: 'x'.repeat(65) })).rejects.toMatchObject({
      path: 'search',
    });
    await expect(f.services.users.page(alice)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it("pages a scope's own providers by id, with search; a user cannot page another's", async () => {
    const first = await f.services.providers.page(alice, { first: 3 });
    expect(first.items.map((p) => p.id)).toEqual(['alpha', 'beta', 'delta-beta']);
    const rest = await f.services.providers.page(alice, { first: 3, after: first.nextCursor });
    expect([rest.items.map((p) => p.id), rest.nextCursor]).toEqual([['gamma'], null]);
    expect((await f.services.providers.page(alice, { search: 'beta' })).items.map((p) => p.id)).toEqual([
      'beta',
      'delta-beta',
    ]);
    expect((await f.services.providers.page(f.admin, { owner: 'alice', first: 1 })).items[0]?.owner).toBe('alice');
    const bob = await f.user('bob');
    await expect(f.services.providers.page(bob, { owner: 'alice' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('paged lists on MariaDB at scale', () => {
  let f: ServicesFixture;
  let owner: string;
  beforeAll(async () => {
    f = await createServicesFixture(await createTestMysqlDatabase('cp_pages'));
    // Enough rows that the optimizer's choice is the one a large deployment gets.
    const now = Date.now();
    for (let first = 0; first < 20_000; first += 1_000)
      await f.handle.db
        .insertInto('users')
        .values(
          Array.from({ length: 1_000 }, (_, i) => ({
            id: `00000000-0000-4000-8000-${String(first + i).padStart(12, '0')}`,
            username: `u${String(first + i).padStart(5, '0')}`,
            password_hash: null,
            role: 'user' as const,
            disabled: 0,
            limits: null,
            created_at: now,
            updated_at: now,
          })),
        )
        .execute();
    owner = '00000000-0000-4000-8000-000000000001';
    await f.handle.db
      .insertInto('providers')
      .values(
        Array.from({ length: 2_000 }, (_, i) => ({
          id: `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`,
          owner_id: `00000000-0000-4000-8000-${String(i % 1_000).padStart(12, '0')}`,
          owner_key: `00000000-0000-4000-8000-${String(i % 1_000).padStart(12, '0')}`,
          slug: `p${i}`,
          type: 'openai',
          endpoint: 'http://127.0.0.1:9/v1',
          api_key_enc: null,
          api_key_hint: null,
          enabled: 1,
          admin_only: 0,
          settings: '{}',
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
    await sql`ANALYZE TABLE users, providers`.execute(f.handle.db);
  });
  afterAll(async () => f?.close());

  it('serves every page from the unique index, in index order (EXPLAIN: no filesort)', async () => {
    const plans = [
      await pageUsersQuery(f.handle.db, { limit: 51, after: 'u02500' }).explain(),
      await pageUsersQuery(f.handle.db, { limit: 51, search: '99' }).explain(),
      await pageProvidersQuery(f.handle.db, owner, { limit: 51, after: 'p1', search: '0' }).explain(),
    ];
    for (const [plan] of plans)
      expect([plan?.['key'], String(plan?.['Extra'] ?? '')]).toEqual([
        expect.stringMatching(/^(username|providers_owner_slug_uq)$/),
        expect.not.stringContaining('filesort'),
      ]);
  });
});
