import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, migrateToLatest, withAggregates, type DatabaseHandle } from '@aisbf/db';
import { createTestMysqlDatabase } from '@aisbf/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUsageEvent, sumTo } from './test-support/usage-events';
import { createUsageWriter } from './usage-writer';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aisbf-usage-writer-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

// What the writer thread of `aisbf start` writes with: prepared statements on a SQLite file, Kysely on MariaDB.
const dialects: Array<[string, () => Promise<string>]> = [
  ['a SQLite file', async () => `sqlite:${join(dir, 'aisbf.db')}`],
  ['MariaDB', () => createTestMysqlDatabase('usagewriter')],
];

describe.each(dialects)('createUsageWriter on %s', (_name, makeUrl) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = createDatabase(await makeUrl());
    await migrateToLatest(handle.db);
  });
  afterAll(async () => handle.close());

  it('writes each event once, in the rows and in the hourly sums, whatever is delivered twice', async () => {
    const write = createUsageWriter(handle);
    const events = Array.from({ length: 450 }, (_, i) => makeUsageEvent('w', i));
    expect(await write([...events.slice(0, 300), events[7]!])).toBe(300);
    expect(await write(events.slice(250))).toBe(150);
    expect(await write(events)).toBe(0);
    const rows = await handle.db
      .selectFrom('usage_records')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('prompt_tokens').as('tokens')])
      .executeTakeFirstOrThrow();
    expect([Number(rows.n), Number(rows.tokens)]).toEqual([450, sumTo(450)]);
    const hourly = await withAggregates(handle.db)
      .selectFrom('usage_hourly')
      .select((eb) => [eb.fn.sum('requests').as('n'), eb.fn.sum('prompt_tokens').as('tokens')])
      .executeTakeFirstOrThrow();
    expect([Number(hourly.n), Number(hourly.tokens)]).toEqual([450, sumTo(450)]);
  });
});
