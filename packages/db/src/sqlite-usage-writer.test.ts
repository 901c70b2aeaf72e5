import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UsageEvent } from '@aisbf/core';
import {
  aggregateUsageRows,
  createDatabase,
  createSqliteUsageWriter,
  dimsKey,
  insertUsageEvents,
  migrateToLatest,
  toUsageRecord,
  withAggregates,
  type DatabaseHandle,
  type SqliteUsageWriter,
} from './index';

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % HOUR);

/** Every column's shapes: nulls and values, several hours, users, statuses, prices; a route over the 400-char cut. */
function mixedEvents(prefix: string, count: number): UsageEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const failed = i % 7 === 3;
    const provider = failed && i % 2 === 0 ? null : ['p-a', 'p-b'][i % 2]!;
    return {
      id: `${prefix}-${i}`,
      requestId: `req-${i}`,
      at: T0 + ((i * 7_919_123) % (5 * HOUR)),
      userId: ['user-a', 'user-b', 'user-c'][i % 3]!,
      tokenId: i % 4 === 0 ? null : `tok-${i % 2}`,
      route: i % 13 === 0 ? `user-rotation/${'r'.repeat(450)}` : ['user-rotation/a', 'user-autoselect/b'][i % 2]!,
      provider,
      providerOwnerId: i % 5 === 0 ? 'user-a' : null,
      model: provider === null ? null : `m-${i % 3}`,
      endpoint: i % 6 === 0 ? 'embeddings' : 'chat.completions',
      stream: i % 2 === 0,
      status: failed ? [429, 502][i % 2]! : 200,
      outcome: failed ? (i % 2 === 0 ? 'error' : 'client_disconnect') : 'ok',
      promptTokens: (i * 37) % 1000,
      completionTokens: (i * 11) % 500,
      estimated: i % 9 === 0,
      latencyMs: 10 + (i % 17) + 0.4,
      ttfbMs: i % 3 === 0 ? null : 3.6 + (i % 5),
      attempts: [
        { provider: provider ?? 'p-a', model: 'm-0', status: failed ? 502 : 200, outcome: 'ok', latencyMs: 9 },
      ],
      autoselectReason: i % 8 === 0 ? 'cheapest' : null,
      costMicros: provider !== null && i % 4 !== 1 ? (i * 131) % 10_000 : null,
      cacheHit: i % 10 === 0 ? true : undefined,
      condensed: i % 12 === 0 ? 'summary; 9000->2000' : undefined,
    };
  });
}

describe('createSqliteUsageWriter (the writer thread’s prepared statements)', () => {
  // The same batches written by insertUsageEvents (Kysely, the path MySQL/MariaDB and the cluster worker take) and by the writer.
  let reference: DatabaseHandle;
  let prepared: DatabaseHandle;
  let writer: SqliteUsageWriter;
  beforeEach(async () => {
    reference = createDatabase('sqlite::memory:');
    prepared = createDatabase('sqlite::memory:');
    await migrateToLatest(reference.db);
    await migrateToLatest(prepared.db);
    writer = createSqliteUsageWriter(prepared.sqlite!);
  });
  afterEach(async () => {
    await reference.close();
    await prepared.close();
  });

  const stored = async (handle: DatabaseHandle): Promise<{ records: unknown[]; hourly: unknown[] }> => ({
    records: await handle.db.selectFrom('usage_records').selectAll().orderBy('id').execute(),
    hourly: await withAggregates(handle.db)
      .selectFrom('usage_hourly')
      .selectAll()
      .orderBy('bucket')
      .orderBy('dims_key')
      .execute(),
  });

  it('stores the same rows and hourly sums as insertUsageEvents, duplicates in the batch or stored ignored', async () => {
    const events = mixedEvents('e', 700);
    // Over several 200-event chunks, an event repeated inside one batch, then a redelivery overlapping it.
    const batches = [
      [...events.slice(0, 450), events[17]!, events[333]!],
      [...events.slice(300, 700), events[650]!],
      events,
    ];
    const counts: Array<[number, number]> = [];
    for (const batch of batches) counts.push([await insertUsageEvents(reference.db, batch), writer.write(batch)]);
    expect(counts).toEqual([
      [450, 450],
      [250, 250],
      [0, 0],
    ]);
    const want = await stored(reference);
    expect(want.records).toHaveLength(700);
    // Several hours and dimension tuples, so the comparison covers more than one hourly row.
    expect(want.hourly.length).toBeGreaterThan(20);
    expect(await stored(prepared)).toEqual(want);
  });

  it('adds to hourly rows another writer stored before (a sum, never an overwrite)', async () => {
    const events = mixedEvents('s', 300);
    await insertUsageEvents(reference.db, events.slice(0, 150));
    await insertUsageEvents(prepared.db, events.slice(0, 150));
    await insertUsageEvents(reference.db, events.slice(150));
    expect(writer.write(events.slice(150))).toBe(150);
    expect(await stored(prepared)).toEqual(await stored(reference));
  });

  it('rolls a failed chunk back whole and keeps the chunks before it, like insertUsageEvents', async () => {
    const events = mixedEvents('f', 260);
    // A NOT NULL column without a value in the second chunk (events 200..259).
    const broken = [
      ...events.slice(0, 230),
      { ...events[230]!, userId: null as unknown as string },
      ...events.slice(231),
    ];
    await expect(insertUsageEvents(reference.db, broken)).rejects.toThrow();
    expect(() => writer.write(broken)).toThrow(/NOT NULL/);
    const after = await stored(prepared);
    expect(after.records).toHaveLength(200);
    expect(after).toEqual(await stored(reference));
    // Written again once fixed, the batch adds exactly the events of the failed chunk.
    expect(writer.write(events)).toBe(60);
  });

  it('keeps dims_key, a stored key, the sha256 of the JSON dimension tuple', () => {
    const dims = {
      user_id: 'user-a',
      token_id: '',
      route: 'user-rotation/a',
      provider: 'p-a',
      model: 'm-1',
      status_class: 2,
    };
    const text = '["user-a","","user-rotation/a","p-a","m-1",2]';
    expect(dimsKey(dims)).toBe(createHash('sha256').update(text).digest('hex'));
    const [hour] = aggregateUsageRows([
      toUsageRecord({
        ...mixedEvents('k', 2)[1]!,
        userId: 'user-a',
        tokenId: null,
        route: 'user-rotation/a',
        provider: 'p-a',
        model: 'm-1',
        status: 204,
      }),
    ]);
    expect(hour!.dims_key).toBe(createHash('sha256').update(text).digest('hex'));
  });
});
