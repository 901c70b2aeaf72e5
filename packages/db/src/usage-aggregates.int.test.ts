import { Migrator } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageEvent } from '@aisbf/core';
import { createTestMysqlDatabase } from '@aisbf/testkit';
import {
  createDatabase,
  insertUsageEvents,
  migrateToLatest,
  pruneUsageRecords,
  queryUsage,
  withAggregates,
  type DatabaseHandle,
  type UsageFilter,
} from './index';
import { init0001 } from './migrations/0001-init';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % DAY);

/** Small deterministic PRNG so a failure reproduces. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function makeEvents(userId: string, count: number, seed: number): UsageEvent[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  return Array.from({ length: count }, (_, i) => {
    const failed = rnd() < 0.2;
    const provider = failed && rnd() < 0.5 ? null : pick(['p-a', 'p-b']);
    return {
      id: `${userId}-e${i}`,
      requestId: `r${i}`,
      at: T0 + Math.floor(rnd() * 3 * DAY),
      userId,
      tokenId: pick(['tok-1', 'tok-2', null]),
      route: pick(['user-rotation/a', 'user-autoselect/b']),
      provider,
      providerOwnerId: null,
      model: provider === null ? null : pick(['m-1', 'm-2', 'm-3']),
      endpoint: 'chat.completions',
      stream: false,
      status: failed ? pick([429, 502]) : 200,
      outcome: failed ? 'error' : 'ok',
      promptTokens: Math.floor(rnd() * 1000),
      completionTokens: Math.floor(rnd() * 500),
      estimated: false,
      latencyMs: 50,
      ttfbMs: null,
      attempts: [],
      autoselectReason: null,
      costMicros: provider !== null && rnd() < 0.8 ? Math.floor(rnd() * 10_000) : null,
    };
  });
}

/** What queryUsage must answer, computed straight from the distinct events. */
function expected(events: UsageEvent[], filter: UsageFilter) {
  const rows = events.filter(
    (e) =>
      (filter.from === undefined || e.at >= filter.from) &&
      (filter.to === undefined || e.at < filter.to) &&
      (filter.userId === undefined || e.userId === filter.userId),
  );
  const width = filter.bucket === 'day' ? DAY : HOUR;
  const sum = (xs: UsageEvent[]) => {
    const priced = xs.filter((e) => e.costMicros !== null && e.costMicros !== undefined);
    return {
      requests: xs.length,
      errors: xs.filter((e) => e.outcome !== 'ok').length,
      promptTokens: xs.reduce((a, e) => a + e.promptTokens, 0),
      completionTokens: xs.reduce((a, e) => a + e.completionTokens, 0),
      costMicros: priced.length === 0 ? null : priced.reduce((a, e) => a + (e.costMicros ?? 0), 0),
      unpricedRequests: xs.filter((e) => (e.costMicros === null || e.costMicros === undefined) && e.provider !== null)
        .length,
    };
  };
  const byT = new Map<number, UsageEvent[]>();
  for (const e of rows) byT.set(e.at - (e.at % width), [...(byT.get(e.at - (e.at % width)) ?? []), e]);
  const series = [...byT.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([t, xs]) => {
      const { costMicros: _c, unpricedRequests: _u, ...s } = sum(xs);
      return { t, ...s };
    });
  const byModel = new Map<string, UsageEvent[]>();
  for (const e of rows) byModel.set(e.model ?? '(none)', [...(byModel.get(e.model ?? '(none)') ?? []), e]);
  const groups = [...byModel.entries()]
    .map(([key, xs]) => ({ key, ...sum(xs) }))
    .sort((a, b) => b.requests - a.requests || a.key.localeCompare(b.key));
  return { totals: sum(rows), series, groups };
}

const dialects: Array<[string, () => Promise<string>]> = [
  ['sqlite', async () => 'sqlite::memory:'],
  ['mysql', () => createTestMysqlDatabase('agg')],
];

/**
 * What the writes go through: `db` alone (on MySQL, SQL text on kysely's connection), or the handle
 * with its mysql2 pool (prepared statements: the cluster worker's path, mysql-usage-prepared.ts).
 */
const writers: Array<[string, () => Promise<string>, (h: DatabaseHandle) => DatabaseHandle['db'] | DatabaseHandle]> = [
  ['sqlite', async () => 'sqlite::memory:', (h) => h.db],
  ['mysql', () => createTestMysqlDatabase('agg'), (h) => h.db],
  ['mysql-prepared', () => createTestMysqlDatabase('aggp'), (h) => h],
];

describe.each(writers)('usage aggregates on %s', (name, makeUrl, writeTo) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = createDatabase(await makeUrl());
    await migrateToLatest(handle.db);
  });
  afterAll(async () => handle.close());

  it('equal the raw sums after inserts with redelivered and repeated events', async () => {
    const userId = `${name}-dups`;
    const events = makeEvents(userId, 600, 7);
    expect(await insertUsageEvents(writeTo(handle), events.slice(0, 400))).toBe(400);
    // Redelivery overlapping the first batch, plus an event repeated inside one batch.
    expect(await insertUsageEvents(writeTo(handle), [...events.slice(300, 600), events[450]!])).toBe(200);
    expect(await insertUsageEvents(writeTo(handle), events)).toBe(0);
    const filters: UsageFilter[] = [
      { userId, groupBy: 'model', bucket: 'day' },
      { userId, groupBy: 'model', bucket: 'hour' },
      // Range edges off the hour: raw rows for the edges, aggregates in between.
      { userId, groupBy: 'model', bucket: 'hour', from: T0 + 5 * HOUR + 1234, to: T0 + 2 * DAY + 17 * HOUR + 999 },
      { userId, groupBy: 'model', bucket: 'day', from: T0 + 10 * HOUR + 1, to: T0 + 10 * HOUR + 30 * 60_000 },
    ];
    for (const filter of filters) {
      const report = await queryUsage(handle.db, filter);
      const want = expected(events, filter);
      expect(report.totals).toEqual(want.totals);
      expect(report.series).toEqual(want.series);
      expect(report.groups).toEqual(want.groups);
    }
    const hourly = await withAggregates(handle.db)
      .selectFrom('usage_hourly')
      .select((eb) => eb.fn.sum('requests').as('n'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(Number(hourly.n)).toBe(600);
  });

  it('counts each event once when two writers deliver the same batch at the same time', async () => {
    const userId = `${name}-race`;
    const events = makeEvents(userId, 300, 11);
    const [a, b] = await Promise.all([
      insertUsageEvents(writeTo(handle), events),
      insertUsageEvents(writeTo(handle), events),
    ]);
    expect(a + b).toBe(300);
    const report = await queryUsage(handle.db, { userId });
    expect(report.totals).toEqual(expected(events, { userId }).totals);
  });

  it('pruning raw rows keeps totals, series and groups over whole hours', async () => {
    const userId = `${name}-prune`;
    const events = makeEvents(userId, 400, 23);
    await insertUsageEvents(writeTo(handle), events);
    const filter: UsageFilter = { userId, groupBy: 'model', bucket: 'day' };
    const before = await queryUsage(handle.db, filter);
    const cutoff = T0 + DAY + 7 * HOUR;
    const pruned = await pruneUsageRecords(handle.db, cutoff + 1234); // rounded down to the hour
    // Other tests' users share the table: at least this user's old rows went.
    expect(pruned).toBeGreaterThanOrEqual(events.filter((e) => e.at < cutoff).length);
    const left = await handle.db
      .selectFrom('usage_records')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(Number(left.n)).toBe(events.filter((e) => e.at >= cutoff).length);
    const after = await queryUsage(handle.db, filter);
    expect(after.totals).toEqual(before.totals);
    expect(after.series).toEqual(before.series);
    expect(after.groups).toEqual(before.groups);
    expect(after.recent.every((r) => r.at >= cutoff)).toBe(true);
  });

  it('lists the largest groups up to the bound, in the chosen order, and sums the rest into others', async () => {
    // 120 users 40 days after the other tests' events, so only these are in range.
    const shift = 40 * DAY;
    const events = Array.from({ length: 120 }, (_, u) =>
      makeEvents(`${name}-top-u${String(u).padStart(3, '0')}`, 1 + (u % 9), 100 + u).map((e) => ({
        ...e,
        at: e.at + shift,
      })),
    ).flat();
    expect(await insertUsageEvents(writeTo(handle), events)).toBe(events.length);
    // Off the hour at both ends: the groups sum raw edges and hourly aggregates in the database.
    const range = { from: T0 + shift + 5 * HOUR + 1234, to: T0 + shift + 2 * DAY + 17 * HOUR + 999 };
    const inRange = events.filter((e) => e.at >= range.from && e.at < range.to);
    const users = [...new Set(inRange.map((e) => e.userId))];
    const sums = users.map((key) => ({ key, ...expected(inRange, { userId: key }).totals }));
    const rank = {
      requests: (g: (typeof sums)[number]) => g.requests,
      tokens: (g: (typeof sums)[number]) => g.promptTokens + g.completionTokens,
      cost: (g: (typeof sums)[number]) => g.costMicros ?? 0,
    } as const;
    for (const [order, limit] of [
      ['requests', 10],
      ['tokens', 7],
      ['cost', 25],
    ] as const) {
      const report = await queryUsage(handle.db, { ...range, groupBy: 'user', groupOrder: order, groupLimit: limit });
      const ranked = [...sums].sort((a, b) => rank[order](b) - rank[order](a) || a.key.localeCompare(b.key));
      expect([order, report.groups]).toEqual([order, ranked.slice(0, limit)]);
      const rest = expected(
        inRange.filter((e) => !ranked.slice(0, limit).some((g) => g.key === e.userId)),
        {},
      ).totals;
      expect([order, report.others]).toEqual([order, { count: users.length - limit, ...rest }]);
      expect(report.totals).toEqual(expected(inRange, {}).totals);
    }
    // Every group fits: no others. Above the maximum, 500 are listed.
    const all = await queryUsage(handle.db, { ...range, groupBy: 'user', groupLimit: 500 });
    expect([all.groups.length, all.others]).toEqual([users.length, null]);
    expect((await queryUsage(handle.db, { ...range, groupBy: 'user', groupLimit: 10_000 })).groups).toHaveLength(
      users.length,
    );
  });
});

describe.each(dialects)('migration 0002 on %s', (_name, makeUrl) => {
  it('backfills the aggregates from raw rows stored before it', async () => {
    const handle = createDatabase(await makeUrl());
    try {
      const only0001 = new Migrator({
        db: handle.db,
        provider: { getMigrations: async () => ({ '0001-init': init0001 }) },
      });
      expect((await only0001.migrateToLatest()).error).toBeUndefined();
      const events = makeEvents('old-user', 250, 5);
      await handle.db
        .insertInto('usage_records')
        .values(
          events.map((e) => ({
            id: e.id,
            request_id: e.requestId,
            created_at: e.at,
            user_id: e.userId,
            token_id: e.tokenId,
            route: e.route,
            provider: e.provider,
            provider_owner_id: null,
            model: e.model,
            endpoint: e.endpoint,
            stream: 0,
            status: e.status,
            outcome: e.outcome,
            prompt_tokens: e.promptTokens,
            completion_tokens: e.completionTokens,
            estimated: 0,
            latency_ms: 50,
            ttfb_ms: null,
            attempts: '[]',
            autoselect_reason: null,
            cost_micros: e.costMicros ?? null,
            cache_hit: 0,
          })),
        )
        .execute();
      // Every migration after 0001 runs now, 0002 first (later ones may follow it).
      const { applied } = await migrateToLatest(handle.db);
      expect(applied[0]).toBe('0002-usage-aggregates');
      expect(applied).not.toContain('0001-init');
      const filter: UsageFilter = { userId: 'old-user', groupBy: 'model', bucket: 'day' };
      const report = await queryUsage(handle.db, filter);
      const want = expected(events, filter);
      expect(report.totals).toEqual(want.totals);
      expect(report.groups).toEqual(want.groups);
    } finally {
      await handle.close();
    }
  });
});
