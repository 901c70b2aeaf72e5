import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RECORDED_ATTEMPTS, type UsageAttempt, type UsageEvent } from '@aisbf/core';
import { createTestMysqlDatabase } from '@aisbf/testkit';
import {
  createDatabase,
  insertUsageEvents,
  migrateToLatest,
  toUsageRow,
  withAggregates,
  type DatabaseHandle,
} from './index';

/** Every column set, and every nullable one null, so a value landing in the wrong column shows. */
const full = (id: string, userId: string): UsageEvent => ({
  id,
  requestId: `req-${id}`,
  at: 1_700_000_123_456,
  userId,
  tokenId: 'tok-1',
  route: 'user-rotation/coding',
  provider: 'lan',
  providerOwnerId: userId,
  model: 'qwen',
  endpoint: 'chat.completions',
  stream: true,
  status: 200,
  outcome: 'ok',
  promptTokens: 17,
  completionTokens: 23,
  estimated: true,
  latencyMs: 41.6,
  ttfbMs: 7.4,
  attempts: [{ provider: 'lan', model: 'qwen', status: 200, outcome: 'ok', latencyMs: 41 }],
  autoselectReason: 'privacy',
  costMicros: 99,
  cacheHit: true,
  condensed: 'summarize; 9000->3000',
});
const sparse = (id: string, userId: string): UsageEvent => ({
  ...full(id, userId),
  tokenId: null,
  provider: null,
  providerOwnerId: null,
  model: null,
  stream: false,
  status: 502,
  outcome: 'error',
  estimated: false,
  ttfbMs: null,
  attempts: [],
  autoselectReason: null,
  costMicros: null,
  cacheHit: false,
  condensed: null,
});

/**
 * Statements this connection ran through the binary protocol (mysql2 `execute`): with a pool of one
 * connection, the session's own counter, which no other test or process moves.
 */
async function preparedExecutions(handle: DatabaseHandle): Promise<number> {
  const status = await sql<{ Value: string }>`show session status like 'Com_stmt_execute'`.execute(handle.db);
  return Number(status.rows[0]?.Value);
}

/**
 * `db`: SQL text on kysely's connection; `handle` (MySQL): the optimistic write through prepared
 * statements on the handle's mysql2 pool, as the cluster worker calls it (usage-flush.processor.ts).
 */
const dialects: Array<[string, () => Promise<string>, 'db' | 'handle']> = [
  ['sqlite', async () => 'sqlite::memory:', 'db'],
  ['mysql', () => createTestMysqlDatabase('uins'), 'db'],
  ['mysql-prepared', () => createTestMysqlDatabase('uinsp'), 'handle'],
];

describe.each(dialects)('usage insert on %s', (name, makeUrl, through) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    // One connection: the session counters read below are the writes' own.
    handle = createDatabase(await makeUrl(), { poolSize: 1 });
    await migrateToLatest(handle.db);
  });
  afterAll(async () => handle.close());
  const write = (events: UsageEvent[]): Promise<number> =>
    insertUsageEvents(through === 'handle' ? handle : handle.db, events);

  it('stores every field of an event in its own column, through the batch insert', async () => {
    const userId = `${name}-cols`;
    const events = [full(`${name}-full`, userId), sparse(`${name}-sparse`, userId)];
    const executed = handle.dialect === 'mysql' ? await preparedExecutions(handle) : 0;
    expect(await write(events)).toBe(2);
    if (handle.dialect === 'mysql') {
      // The insert and the hourly upsert as prepared statements, or none: a fallback to text shows here.
      expect((await preparedExecutions(handle)) - executed).toBe(through === 'handle' ? 2 : 0);
    }
    const rows = await handle.db
      .selectFrom('usage_records')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('id')
      .execute();
    expect(rows.map(toUsageRow)).toEqual([
      {
        id: `${name}-full`,
        requestId: `req-${name}-full`,
        at: 1_700_000_123_456,
        userId,
        tokenId: 'tok-1',
        route: 'user-rotation/coding',
        provider: 'lan',
        model: 'qwen',
        endpoint: 'chat.completions',
        stream: true,
        status: 200,
        outcome: 'ok',
        promptTokens: 17,
        completionTokens: 23,
        estimated: true,
        latencyMs: 42,
        ttfbMs: 7,
        attempts: [{ provider: 'lan', model: 'qwen', status: 200, outcome: 'ok', latencyMs: 41 }],
        autoselectReason: 'privacy',
        costMicros: 99,
        condensed: 'summarize; 9000->3000',
      },
      {
        id: `${name}-sparse`,
        requestId: `req-${name}-sparse`,
        at: 1_700_000_123_456,
        userId,
        tokenId: null,
        route: 'user-rotation/coding',
        provider: null,
        model: null,
        endpoint: 'chat.completions',
        stream: false,
        status: 502,
        outcome: 'error',
        promptTokens: 17,
        completionTokens: 23,
        estimated: false,
        latencyMs: 42,
        ttfbMs: null,
        attempts: [],
        autoselectReason: null,
        costMicros: null,
        condensed: null,
      },
    ]);
    const raw = rows.map((r) => [r.provider_owner_id, Number(r.cache_hit)]);
    expect(raw).toEqual([
      [userId, 1],
      [null, 0],
    ]);
    const hourly = await withAggregates(handle.db)
      .selectFrom('usage_hourly')
      .select([
        'status_class',
        'requests',
        'errors',
        'prompt_tokens',
        'cost_micros',
        'priced_requests',
        'unpriced_requests',
        'latency_ms_sum',
      ])
      .where('user_id', '=', userId)
      .orderBy('status_class')
      .execute();
    expect(hourly.map((h) => Object.values(h).map(Number))).toEqual([
      [2, 1, 0, 17, 99, 1, 0, 42],
      [5, 1, 1, 17, 0, 0, 0, 42],
    ]);
  });

  it('a batch larger than one statement, then its redelivery, stores each event once', async () => {
    const userId = `${name}-big`;
    const events = Array.from({ length: 1_234 }, (_, i) => ({ ...full(`${name}-big-${i}`, userId), promptTokens: i }));
    expect(await write(events)).toBe(1_234);
    // A redelivery whose first statement's ids are all known and whose last holds new ones.
    const more = [...events.slice(200), { ...full(`${name}-big-new`, userId), promptTokens: 5 }];
    expect(await write(more)).toBe(1);
    const sums = await withAggregates(handle.db)
      .selectFrom('usage_hourly')
      .select((eb) => [eb.fn.sum('requests').as('n'), eb.fn.sum('prompt_tokens').as('p')])
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    expect([Number(sums.n), Number(sums.p)]).toEqual([1_235, (1_233 * 1_234) / 2 + 5]);
  });

  it('stores a full batch of events at the attempts bound, every field at its longest, whole', async () => {
    // The bound the data plane keeps (core's boundAttempts): a 500-row statement of these stays under
    // MariaDB's default max_allowed_packet and each list within the 64 KiB TEXT column, uncut.
    const longest: UsageAttempt = {
      provider: 'p'.repeat(64),
      model: 'm'.repeat(256),
      status: 503,
      outcome: 'rate_limited',
      reason: 'r'.repeat(300),
      latencyMs: 123_456.789,
      promptTokens: 1_000_000,
      completionTokens: 1_000_000,
      detail: 'frame_too_large',
      cooldownUntil: 1_700_000_123_456,
    };
    const attempts = Array.from({ length: MAX_RECORDED_ATTEMPTS }, () => longest);
    expect(JSON.stringify(attempts).length).toBeGreaterThan(16_000);
    const userId = `${name}-attempts`;
    const events = Array.from({ length: 500 }, (_, i) => ({ ...full(`${name}-att-${i}`, userId), attempts }));
    expect(await write(events)).toBe(500);
    const rows = await handle.db.selectFrom('usage_records').selectAll().where('user_id', '=', userId).execute();
    expect(rows).toHaveLength(500);
    for (const row of rows) expect(toUsageRow(row).attempts).toEqual(attempts);
  });
});

describe('usage insert through prepared statements on MariaDB (the cluster worker)', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = createDatabase(await createTestMysqlDatabase('uprep'), { poolSize: 1 });
    await migrateToLatest(handle.db);
  });
  afterAll(async () => handle.close());

  const sums = async (userId: string): Promise<number[]> => {
    const raw = await handle.db
      .selectFrom('usage_records')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('prompt_tokens').as('p')])
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    const hourly = await withAggregates(handle.db)
      .selectFrom('usage_hourly')
      .select((eb) => [eb.fn.sum('requests').as('n'), eb.fn.sum('prompt_tokens').as('p')])
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return [raw.n, raw.p, hourly.n, hourly.p].map((v) => Number(v ?? 0));
  };

  it('a known id in a later statement of a chunk undoes the statements before it; the checked path counts each event once', async () => {
    const userId = 'later-known';
    const event = (i: number): UsageEvent => ({ ...full(`later-${i}`, userId), promptTokens: i });
    expect(await insertUsageEvents(handle, [event(1_000)])).toBe(1);
    // 300 rows are statements of 256, 32, 8 and 4: the known id and a repeat sit past the first.
    const batch = Array.from({ length: 298 }, (_, i) => event(i));
    batch.splice(270, 0, event(1_000));
    batch.splice(290, 0, event(5));
    const executed = await preparedExecutions(handle);
    expect(await insertUsageEvents(handle, batch)).toBe(298);
    // The first statement ran prepared and stored its 256 rows before the second found the known id.
    expect((await preparedExecutions(handle)) - executed).toBe(2);
    const tokens = (298 * 297) / 2 + 1_000;
    expect(await sums(userId)).toEqual([299, tokens, 299, tokens]);
    // The whole batch again (a redelivery): nothing new, nothing counted twice.
    expect(await insertUsageEvents(handle, batch)).toBe(0);
    expect(await sums(userId)).toEqual([299, tokens, 299, tokens]);
  });

  it('a statement that fails rolls the whole chunk back and leaves the connection usable', async () => {
    const userId = 'fails';
    const batch = Array.from({ length: 260 }, (_, i) => full(`fails-${i}`, userId));
    // model is varchar(256): too long for strict mode, in the second statement (260 = 256 + 4).
    batch[258] = { ...batch[258]!, model: 'm'.repeat(300) };
    await expect(insertUsageEvents(handle, batch)).rejects.toMatchObject({ code: 'ER_DATA_TOO_LONG' });
    expect(await sums(userId)).toEqual([0, 0, 0, 0]);
    // The pool's one connection came back out of the transaction, prepared statements and all.
    const open = await sql<{ t: number }>`select @@in_transaction as t`.execute(handle.db);
    expect(Number(open.rows[0]?.t)).toBe(0);
    batch[258] = full('fails-258', userId);
    expect(await insertUsageEvents(handle, batch)).toBe(260);
    expect(await sums(userId)).toEqual([260, 260 * 17, 260, 260 * 17]);
  });

  it('prepares at most 10 statements per table on a connection, whatever the batch sizes', async () => {
    // A fresh pool of one connection: the session's prepare count is this test's alone.
    const own = createDatabase(await createTestMysqlDatabase('usizes'), { poolSize: 1 });
    try {
      await migrateToLatest(own.db);
      const prepares = async (): Promise<number> =>
        Number(
          (await sql<{ Value: string }>`show session status like 'Com_stmt_prepare'`.execute(own.db)).rows[0]?.Value,
        );
      const before = await prepares();
      let n = 0;
      // Chunks of 1 to 40 rows and three large ones, each row in an hour of its own (as many hourly rows).
      for (const size of [...Array.from({ length: 40 }, (_, i) => i + 1), 437, 499, 500]) {
        const batch = Array.from({ length: size }, (_, i) => ({
          ...full(`sizes-${n + i}`, 'sizes'),
          at: 1_700_000_000_000 + (n + i) * 3_600_000,
        }));
        expect(await insertUsageEvents(own, batch)).toBe(size);
        n += size;
      }
      // Row counts 1, 2, 4 … 256 and 500, for each of the two tables; one per size would be 86.
      expect((await prepares()) - before).toBe(20);
      const rows = await own.db
        .selectFrom('usage_records')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(rows.n)).toBe(n);
    } finally {
      await own.close();
    }
  });
});
