import type { UsageAttempt } from '@aisbf/core';
import {
  createDatabase,
  insertUsageEvents,
  migrateToLatest,
  upsertProvider,
  type DatabaseHandle,
  type Db,
} from '@aisbf/db';
import { createSecretBox, generateSecretKey } from '@aisbf/secrets';
import { createTestMysqlDatabase } from '@aisbf/testkit';
import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHealth } from './health-check.processor';
import { MAX_RECORD_ATTEMPTS_CHARS, RECENT_PAGE_ROWS } from './read-traffic';
import { makeUsageEvent } from './test-support/usage-events';
import { DEFAULT_HEALTH_POLICY, scoreTraffic, type TrafficSample } from './traffic-health';

/**
 * docs/jobs.md "health-check": the periodic run reads the window's usage in pages and keeps sums,
 * not records. It read up to 50,000 records in one query and held them all (with their parsed
 * attempts) through the run: every minute, in `aisbf start`, ~100 MB of heap that lived long enough
 * to be promoted, and a record's size was the tenant's to choose (docs/benchmarks.md "aisbf
 * start's memory").
 */
const box = createSecretBox(generateSecretKey());
const NOW = 2_000_000_000_000;
const RECORDS = 2 * RECENT_PAGE_ROWS + 250;

const backends = [
  { name: 'SQLite', open: async () => createDatabase('sqlite::memory:') },
  { name: 'MariaDB', open: async () => createDatabase(await createTestMysqlDatabase('read_traffic')) },
];

/** Seven records share each millisecond, so ties straddle the page boundaries. */
const atOf = (i: number): number => NOW - 1_000 - Math.floor(i / 7) * 10;
const attemptOf = (i: number): UsageAttempt =>
  i % 5 === 0
    ? { provider: 'lan', model: 'm2', status: 502, outcome: 'error', latencyMs: 40 }
    : { provider: 'lan', model: 'm1', status: 200, outcome: 'ok', latencyMs: 10 + (i % 3) };

/** What each usage query returned: its row count and its longest attempts text; and the event loop's turns by then. */
function watchUsageReads(db: Db): {
  db: Db;
  reads: Array<{ rows: number; longest: number; turns: number }>;
  stop(): void;
} {
  const reads: Array<{ rows: number; longest: number; turns: number }> = [];
  let turns = 0;
  let running = true;
  const spin = (): void => {
    turns += 1;
    if (running) setImmediate(spin);
  };
  setImmediate(spin);
  const plugin: KyselyPlugin = {
    transformQuery: (args) => args.node,
    transformResult: async ({ result }) => {
      const rows = result.rows as Array<Record<string, unknown>>;
      if (rows.length > 0 && 'attempts' in rows[0]! && 'route' in rows[0]!)
        reads.push({
          rows: rows.length,
          longest: Math.max(...rows.map((r) => (typeof r['attempts'] === 'string' ? r['attempts'].length : 0))),
          turns,
        });
      return result;
    },
  };
  return { db: db.withPlugin(plugin), reads, stop: () => void (running = false) };
}

describe.each(backends)('health run on $name: the usage window read in pages', ({ open }) => {
  let handle: DatabaseHandle;

  beforeAll(async () => {
    handle = await open();
    await migrateToLatest(handle.db);
    await upsertProvider(
      handle.db,
      {
        ownerId: null,
        id: 'lan',
        type: 'openai',
        // Never called: the provider's traffic is enough to judge it.
        endpoint: 'http://127.0.0.1:9/v1',
        apiKeyEnc: box.encrypt('sk-key'),
        apiKeyHint: null,
        enabled: true,
        adminOnly: false,
        settings: {},
        models: [{ name: 'm1' }, { name: 'm2' }],
      },
      0,
    );
    const events = Array.from({ length: RECORDS }, (_, i) =>
      makeUsageEvent('window', i, atOf(i), { attempts: [attemptOf(i)] }),
    );
    // One request that tried the entries of a long rotation: its attempts alone are over 64 KiB
    // (MariaDB's TEXT column keeps 65,535 bytes of them, unreadable JSON: skipped there either way).
    const long = Array.from({ length: 400 }, (): UsageAttempt => ({
      provider: 'lan',
      model: 'm1',
      status: 500,
      outcome: 'error',
      reason: 'x'.repeat(300),
      latencyMs: 1,
    }));
    expect(JSON.stringify(long).length).toBeGreaterThan(MAX_RECORD_ATTEMPTS_CHARS);
    events.push(makeUsageEvent('long', 1, NOW - 500, { attempts: long }));
    await insertUsageEvents(handle, events);
  });
  afterAll(async () => {
    await handle.close();
  });

  it('reads at most one page of records per query, yields between pages, and misses no record at a page boundary', async () => {
    const watch = watchUsageReads(handle.db);
    const result = await checkHealth({ db: watch.db, secretBox: box, now: () => NOW }, {}).finally(watch.stop);

    expect(watch.reads.map((r) => r.rows)).toEqual([RECENT_PAGE_ROWS, RECENT_PAGE_ROWS, 251]);
    for (let i = 1; i < watch.reads.length; i += 1)
      expect(watch.reads[i]!.turns).toBeGreaterThan(watch.reads[i - 1]!.turns);
    // Scored exactly as every attempt one by one (each record once: ties across pages neither lost nor repeated).
    const samples: TrafficSample[] = Array.from({ length: RECORDS }, (_, i) => {
      const a = attemptOf(i);
      return {
        at: atOf(i),
        ownerId: null,
        providerId: 'lan',
        model: a.model,
        failed: a.outcome === 'error',
        connection: false,
        latencyMs: a.latencyMs,
      };
    });
    const expected = scoreTraffic(samples, NOW, DEFAULT_HEALTH_POLICY).get('/lan')!;
    const lan = result.checked.find((c) => c.providerId === 'lan')!;
    expect(lan.source).toBe('traffic');
    expect(lan.traffic!.weight).toBeCloseTo(expected.weight, 6);
    expect(lan.traffic!.errorRatio).toBeCloseTo(expected.errorRatio, 9);
    expect(lan.traffic!.latencyMs).toBeCloseTo(expected.latencyMs!, 6);
    expect(lan.traffic!.models['m2']!.lastFailureAt).toBe(atOf(0));
    expect(Object.keys(lan.traffic!.models).sort()).toEqual(['m1', 'm2']);
  });

  it('leaves a record whose attempts are over 64 KiB unread', async () => {
    const watch = watchUsageReads(handle.db);
    const result = await checkHealth({ db: watch.db, secretBox: box, now: () => NOW }, {}).finally(watch.stop);

    expect(Math.max(...watch.reads.map((r) => r.longest))).toBeLessThanOrEqual(MAX_RECORD_ATTEMPTS_CHARS);
    // Its 400 failures are the only ones of m1 in the window: none was counted.
    const lan = result.checked.find((c) => c.providerId === 'lan')!;
    expect(lan.traffic!.models['m1']).toMatchObject({ errorRatio: 0, lastFailureAt: null });
  });
});
