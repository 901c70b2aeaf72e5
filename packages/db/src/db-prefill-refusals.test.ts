import { describe, expect, it } from 'vitest';
import { createDatabase } from './create-database';
import { createDbPrefillRefusals } from './db-prefill-refusals';
import { migrateToLatest } from './migrate-to-latest';

const read = (refusals: ReturnType<typeof createDbPrefillRefusals>): Promise<string[]> =>
  new Promise((resolve) => {
    const seen: string[] = [];
    refusals.subscribe((key) => seen.push(key));
    setTimeout(() => resolve(seen.sort()), 50);
  });

describe('prefill refusals in the database (all-in-one)', () => {
  it('are read back by the next instance, once per entry, until they are older than the TTL', async () => {
    const handle = createDatabase('sqlite::memory:');
    await migrateToLatest(handle.db);
    let now = 1_000_000;
    const first = createDbPrefillRefusals({ db: handle.db, ttlMs: 10_000, now: () => now });
    first.publish('*|hosted|big');
    first.publish('*|hosted|big'); // twice: one row
    now += 5_000;
    first.publish('u1|lan|coder');
    await first.close();
    const rows = await handle.db.selectFrom('prefill_refusals').selectAll().execute();
    expect(rows.map((r) => [r.target_key, Number(r.refused_at)]).sort()).toEqual([
      ['*|hosted|big', 1_000_000],
      ['u1|lan|coder', 1_005_000],
    ]);
    expect(await read(createDbPrefillRefusals({ db: handle.db, ttlMs: 10_000, now: () => now }))).toEqual([
      '*|hosted|big',
      'u1|lan|coder',
    ]);
    // Past its TTL the first one is forgotten (a model upgraded meanwhile gets another chance).
    now = 1_010_001;
    expect(await read(createDbPrefillRefusals({ db: handle.db, ttlMs: 10_000, now: () => now }))).toEqual([
      'u1|lan|coder',
    ]);
    await handle.close();
  });
});
