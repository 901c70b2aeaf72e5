import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageEvent } from '@aisbf/core';
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

const dialects: Array<[string, () => Promise<string>]> = [
  ['sqlite', async () => 'sqlite::memory:'],
  ['mysql', () => createTestMysqlDatabase('uins')],
];

describe.each(dialects)('usage insert on %s', (name, makeUrl) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = createDatabase(await makeUrl());
    await migrateToLatest(handle.db);
  });
  afterAll(async () => handle.close());

  it('stores every field of an event in its own column, through the batch insert', async () => {
    const userId = `${name}-cols`;
    const events = [full(`${name}-full`, userId), sparse(`${name}-sparse`, userId)];
    expect(await insertUsageEvents(handle.db, events)).toBe(2);
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
    expect(await insertUsageEvents(handle.db, events)).toBe(1_234);
    // A redelivery whose first statement's ids are all known and whose last holds new ones.
    const more = [...events.slice(200), { ...full(`${name}-big-new`, userId), promptTokens: 5 }];
    expect(await insertUsageEvents(handle.db, more)).toBe(1);
    const sums = await withAggregates(handle.db)
      .selectFrom('usage_hourly')
      .select((eb) => [eb.fn.sum('requests').as('n'), eb.fn.sum('prompt_tokens').as('p')])
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    expect([Number(sums.n), Number(sums.p)]).toEqual([1_235, (1_233 * 1_234) / 2 + 5]);
  });
});
