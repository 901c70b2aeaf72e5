import { afterEach, describe, expect, it } from 'vitest';
import type { UsageEvent } from '@aisbf/core';
import { createDatabase, insertUsageEvents, migrateToLatest, queryUsage, type DatabaseHandle } from '@aisbf/db';
import { startUsageRetention } from './usage-retention';

const DAY = 24 * 3_600_000;
const NOW = Date.UTC(2026, 10, 25, 12);

const event = (id: string, at: number): UsageEvent => ({
  id,
  requestId: `req-${id}`,
  at,
  userId: 'u1',
  tokenId: 't1',
  route: 'user-rotation/r',
  provider: 'p',
  providerOwnerId: 'u1',
  model: 'm',
  endpoint: 'chat.completions',
  stream: false,
  status: 200,
  outcome: 'ok',
  promptTokens: 10,
  completionTokens: 5,
  estimated: false,
  latencyMs: 12,
  ttfbMs: 5,
  attempts: [],
  costMicros: 100,
});

let handle: DatabaseHandle | undefined;
afterEach(async () => handle?.close());

describe('usage retention (AISBF_USAGE_RETENTION_DAYS)', () => {
  it('deletes raw rows older than the window and keeps the totals the aggregates hold', async () => {
    handle = createDatabase('sqlite::memory:');
    await migrateToLatest(handle.db);
    await insertUsageEvents(handle.db, [
      event('old-event-1', NOW - 40 * DAY),
      event('old-event-2', NOW - 31 * DAY),
      event('new-event-1', NOW - 2 * DAY),
    ]);
    const before = await queryUsage(handle.db, { from: NOW - 60 * DAY, to: NOW });
    const retention = startUsageRetention({
      db: handle.db,
      days: 30,
      now: () => NOW,
      onError: (e) => {
        throw e;
      },
    });
    retention.close();
    await retention.runOnce();
    const rows = await handle.db.selectFrom('usage_records').select('id').execute();
    expect(rows.map((r) => r.id)).toEqual(['new-event-1']);
    const after = await queryUsage(handle.db, { from: NOW - 60 * DAY, to: NOW });
    expect(after.totals.requests).toBe(3);
    expect(after.totals.requests).toBe(before.totals.requests);
  });

  it('does nothing when no window is set', async () => {
    handle = createDatabase('sqlite::memory:');
    await migrateToLatest(handle.db);
    await insertUsageEvents(handle.db, [event('old-event-1', NOW - 400 * DAY)]);
    const retention = startUsageRetention({ db: handle.db, days: undefined, now: () => NOW, onError: () => undefined });
    expect(await retention.runOnce()).toBe(0);
    expect(await handle.db.selectFrom('usage_records').select('id').execute()).toHaveLength(1);
  });
});
