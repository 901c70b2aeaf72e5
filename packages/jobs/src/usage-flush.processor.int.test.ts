import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RECORDED_ATTEMPTS, type UsageAttempt, type UsageEvent } from '@aisbf/core';
import { createDatabase, migrateToLatest, toUsageRow, type DatabaseHandle } from '@aisbf/db';
import { createTestMysqlDatabase } from '@aisbf/testkit';
import { flushUsage } from './usage-flush.processor';

const attempt = (i: number): UsageAttempt => ({
  provider: `p${i}`,
  model: 'm'.repeat(256),
  status: 404,
  outcome: 'error',
  reason: 'r'.repeat(300),
  latencyMs: i,
});

/** What a node that predates the attempts bound sends: one request that tried 200 entries. */
const unbounded = (id: string): UsageEvent => ({
  id,
  requestId: `req-${id}`,
  at: 1_700_000_123_456,
  userId: 'u-flush',
  tokenId: 'tok-1',
  route: 'user-rotation/long',
  provider: null,
  providerOwnerId: null,
  model: null,
  endpoint: 'chat.completions',
  stream: false,
  status: 502,
  outcome: 'error',
  promptTokens: 0,
  completionTokens: 0,
  estimated: true,
  latencyMs: 900,
  ttfbMs: null,
  attempts: Array.from({ length: 200 }, (_, i) => attempt(i)),
});

describe.each([
  ['sqlite', async () => 'sqlite::memory:'],
  ['mysql', () => createTestMysqlDatabase('uflush')],
])('the usage-flush job on %s', (name, makeUrl) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = createDatabase(await makeUrl());
    await migrateToLatest(handle.db);
  });
  afterAll(async () => handle.close());

  it('bounds the attempts of an event from an older node and stores them whole', async () => {
    const id = `${name}-unbounded`;
    const result = await flushUsage({ db: handle.db }, { events: [unbounded(id)] });
    expect(result).toEqual({ received: 1, inserted: 1 });
    const row = await handle.db.selectFrom('usage_records').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const stored = toUsageRow(row).attempts;
    expect(stored).toHaveLength(MAX_RECORDED_ATTEMPTS);
    expect(stored.map((a) => a.provider)).toEqual([
      ...Array.from({ length: MAX_RECORDED_ATTEMPTS - 1 }, (_, i) => `p${i}`),
      'p199',
    ]);
  });
});
