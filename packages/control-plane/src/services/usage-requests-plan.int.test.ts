import { CompiledQuery, sql, type Kysely } from 'kysely';
import { usageRequestsQuery, type Database, type UsageRequestFilter } from '@aisbf/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServicesFixture, DIALECTS, type ServicesFixture } from '../test-support/services-fixture';

const USERS = 200;
const ROWS = 20_000;

const userId = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

async function seed(db: Kysely<Database>): Promise<void> {
  const now = Date.now();
  for (let first = 0; first < USERS; first += 100)
    await db
      .insertInto('users')
      .values(
        Array.from({ length: 100 }, (_, i) => ({
          id: userId(first + i),
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
  for (let first = 0; first < ROWS; first += 1_000)
    await db
      .insertInto('usage_records')
      .values(
        Array.from({ length: 1_000 }, (_, k) => {
          const i = first + k;
          return {
            id: `e${String(i).padStart(8, '0')}`,
            request_id: `r${i}`,
            created_at: now - (ROWS - i) * 1_000,
            user_id: userId(i % USERS),
            token_id: `t${i % 50}`,
            route: `route-${i % 20}`,
            provider: `p${i % 10}`,
            provider_owner_id: null,
            model: 'm',
            endpoint: 'chat',
            stream: 0,
            status: i % 7 === 0 ? 429 : 200,
            outcome: i % 7 === 0 ? 'rate_limited' : 'ok',
            prompt_tokens: 1,
            completion_tokens: 1,
            estimated: 0,
            latency_ms: 1,
            ttfb_ms: null,
            attempts: '[]',
            autoselect_reason: null,
            cost_micros: null,
            cache_hit: 0,
            condensed: null,
          };
        }),
      )
      .execute();
}

async function plan(dialect: string, db: Kysely<Database>, filter: UsageRequestFilter): Promise<string> {
  const compiled = usageRequestsQuery(db, filter).compile();
  const prefix = dialect === 'sqlite' ? 'EXPLAIN QUERY PLAN ' : 'EXPLAIN ';
  const result = await db.executeQuery(CompiledQuery.raw(prefix + compiled.sql, [...compiled.parameters]));
  return JSON.stringify(result.rows);
}

/**
 * docs/dashboard.md "Lists at scale": a page of the requests view is a bounded read of an index in
 * its order, whatever the filters, and names its users without reading the users table whole.
 */
describe.each(DIALECTS)('the requests view on %s', (dialect, makeUrl) => {
  let f: ServicesFixture;
  beforeAll(async () => {
    f = await createServicesFixture(await makeUrl());
    await seed(f.handle.db);
    // Statistics as a grown deployment has them, so the optimizer's choice is the one it gets.
    if (dialect === 'mysql') await sql`ANALYZE TABLE users, usage_records`.execute(f.handle.db);
    else await sql`ANALYZE`.execute(f.handle.db);
  }, 60_000);
  afterAll(async () => f?.close());

  const before = () => ({ at: Date.now() - 5_000_000, id: 'e00015000' });
  const filters = (): Array<[string, UsageRequestFilter, string]> => [
    ['newest', { limit: 26 }, 'usage_created_idx'],
    ['older page', { limit: 26, before: before() }, 'usage_created_idx'],
    ['one user', { limit: 26, userId: userId(7), before: before() }, 'usage_user_created_idx'],
    ['one token', { limit: 26, tokenId: 't3', before: before() }, 'usage_token_created_idx'],
    ['route', { limit: 26, route: 'route-3', before: before() }, 'usage_route_created_idx'],
    ['provider', { limit: 26, provider: 'p3', before: before() }, 'usage_provider_created_idx'],
    ['failed', { limit: 26, status: 'error', before: before() }, 'usage_created_idx'],
    ['user, route, status', { limit: 26, userId: userId(7), status: 'ok', route: 'route-7' }, 'usage_user_created_idx'],
  ];

  it('reads an index in its order for every filter (EXPLAIN: no full scan, no sort of the rows)', async () => {
    for (const [name, filter, index] of filters()) {
      const compiled = usageRequestsQuery(f.handle.db, filter).compile();
      if (dialect === 'mysql') {
        const [row] = (
          await f.handle.db.executeQuery(CompiledQuery.raw(`EXPLAIN ${compiled.sql}`, [...compiled.parameters]))
        ).rows as Array<Record<string, unknown>>;
        expect([name, row?.['key'], row?.['type'], String(row?.['Extra'])]).toEqual([
          name,
          index,
          expect.not.stringMatching(/^ALL$/),
          expect.not.stringContaining('filesort'),
        ]);
      } else {
        const rows = (
          await f.handle.db.executeQuery(
            CompiledQuery.raw(`EXPLAIN QUERY PLAN ${compiled.sql}`, [...compiled.parameters]),
          )
        ).rows as Array<{ detail: string }>;
        const details = rows.map((r) => r.detail);
        // The temp B-tree orders only rows of one created_at by id (the tie-breaker), which SQLite
        // sorts block by block as it walks the index, stopping at the limit.
        expect([name, details]).toEqual([
          name,
          [expect.stringContaining(`USING INDEX ${index}`), 'USE TEMP B-TREE FOR LAST TERM OF ORDER BY'],
        ]);
      }
    }
  });

  it("names each row's user and filters by one, without listing the users", async () => {
    const all = await f.services.usage.requests(f.admin, { limit: 5 });
    expect(all.rows.map((r) => r.username)).toEqual(['u00199', 'u00198', 'u00197', 'u00196', 'u00195']);
    const one = await f.services.usage.requests(f.admin, { user: 'u00042', limit: 3 });
    expect(one.rows.map((r) => [r.username, r.userId])).toEqual(Array(3).fill(['u00042', userId(42)]));
    expect((await f.services.usage.requests(f.admin, { user: 'nobody' })).rows).toEqual([]);
    const grouped = await f.services.usage.query(f.admin, {
      from: new Date(Date.now() - 10_000_000),
      groupBy: 'user',
      groupLimit: 20,
    });
    expect(grouped.groups).toHaveLength(20);
    expect(grouped.groups.every((g) => /^u\d{5}$/.test(g.key))).toBe(true);
  });

  it("bounds an admin's usage grouped by user: the first 50 by requests, the rest summed (docs/usage.md)", async () => {
    const from = new Date(Date.now() - 10_000_000);
    const grouped = await f.services.usage.query(f.admin, { from, groupBy: 'user' });
    expect(grouped.groups).toHaveLength(50);
    expect(grouped.groups.every((g) => /^u\d{5}$/.test(g.key))).toBe(true);
    expect(grouped.others).toMatchObject({ count: USERS - 50 });
    const listed = grouped.groups.reduce((n, g) => n + g.requests, 0);
    expect(listed + (grouped.others?.requests ?? 0)).toBe(grouped.totals.requests);
    const wide = await f.services.usage.query(f.admin, { from, groupBy: 'user', groupLimit: 500 });
    expect([wide.groups.length, wide.others]).toEqual([USERS, null]);
    await expect(f.services.usage.query(f.admin, { from, groupBy: 'user', groupLimit: 501 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });
});
