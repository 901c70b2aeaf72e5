import { createDatabase, migrateToLatest, type DatabaseHandle, type MysqlPool } from '@aisbf/db';
import { createTestMysqlDatabase, testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBullmqConnection, toBullmqPrefix } from './bullmq-connection';
import type { JobWorkers } from './create-workers';
import { createDbUsageSink } from './db-usage-sink';
import { createQueueUsageSink } from './queue-usage-sink';
import { QUEUES } from './queues';
import { makeUsageEvent, sumTo } from './test-support/usage-events';
import { startUsageWorkers } from './test-support/usage-workers';

const PER_PRODUCER = 5_000;

async function totals(handle: DatabaseHandle): Promise<{ rows: number; tokens: number }> {
  const row = await handle.db
    .selectFrom('usage_records')
    .select((eb) => [eb.fn.countAll<number>().as('rows'), eb.fn.sum<number>('prompt_tokens').as('tokens')])
    .executeTakeFirstOrThrow();
  return { rows: Number(row.rows), tokens: Number(row.tokens ?? 0) };
}

async function until(check: () => Promise<boolean>, timeoutMs: number, label: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Emits in slices with pauses, like a node serving traffic, so a restart lands mid-run. */
async function produce(emit: (i: number) => void, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    emit(i);
    if (i % 250 === 249) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('usage events land exactly once', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = createDatabase(await createTestMysqlDatabase('usage'));
    await migrateToLatest(handle.db);
  });
  afterAll(async () => {
    await handle.close();
  });

  it('10,000 events from two data-plane nodes through BullMQ, the worker killed and restarted mid-run', async () => {
    await handle.db.deleteFrom('usage_records').execute();
    const prefix = testRedisPrefix('usage');
    const errors: string[] = [];
    // The worker writes as `aisbf worker` does, through the handle's mysql2 pool (prepared
    // statements); counted, so a worker that fell back to kysely's text statements would show.
    const pool = handle.mysql!;
    let pooledWrites = 0;
    const mysql: MysqlPool = Object.assign(Object.create(pool) as MysqlPool, {
      getConnection: () => {
        pooledWrites++;
        return pool.getConnection();
      },
    });
    const start = (): Promise<JobWorkers> =>
      startUsageWorkers(handle.db, prefix, {
        mysql,
        // Short locks so the jobs the killed worker held are taken over within the test.
        lockDurationMs: 1_000,
        stalledIntervalMs: 500,
        onError: (_e, context) => errors.push(context),
      });
    const nodes = ['node-a', 'node-b'].map(() =>
      createQueueUsageSink({ url: testRedisUrl(), prefix, batchSize: 200, flushMs: 50 }),
    );
    let worker = await start();
    const started = performance.now();
    const producing = Promise.all(
      nodes.map((sink, n) => produce((i) => sink.emit(makeUsageEvent(`n${n}`, i)), PER_PRODUCER)),
    );

    await until(async () => (await totals(handle)).rows >= 1_500, 15_000, 'first batches written');
    await worker.close(true); // crash: active jobs keep their locks and are never acked
    const atKill = (await totals(handle)).rows;
    await producing;
    // A node re-sends a slice after an ambiguous Redis failure (new batch, new job id).
    for (let i = 1_000; i < 1_500; i++) nodes[0]?.emit(makeUsageEvent('n0', i));
    await Promise.all(nodes.map((sink) => sink.flush()));
    worker = await start();
    await until(async () => (await totals(handle)).rows >= 2 * PER_PRODUCER, 30_000, 'all events written');
    const elapsed = performance.now() - started;

    // Let redelivered batches (the ones the killed worker had in hand) run through too.
    const queue = new Queue(QUEUES.usageEvents, {
      connection: toBullmqConnection(testRedisUrl()),
      prefix: toBullmqPrefix(prefix),
    });
    try {
      await until(
        async () => {
          const counts = await queue.getJobCounts('active', 'wait', 'delayed');
          return (counts['active'] ?? 0) + (counts['wait'] ?? 0) + (counts['delayed'] ?? 0) === 0;
        },
        15_000,
        'queue drained',
      );
      expect((await queue.getJobCounts('failed'))['failed']).toBe(0);
      // Written batches leave Redis (docs/jobs.md): no job keeps its events there.
      expect((await queue.getJobCounts('completed'))['completed']).toBe(0);
    } finally {
      await queue.close();
    }
    const result = await totals(handle);
    console.log(`[usage] 10000 events via BullMQ in ${elapsed.toFixed(0)} ms; ${atKill} rows written before the kill`);
    expect(atKill).toBeLessThan(2 * PER_PRODUCER);
    expect(pooledWrites).toBeGreaterThan(0);
    expect(result).toEqual({ rows: 2 * PER_PRODUCER, tokens: 2 * sumTo(PER_PRODUCER) });
    await Promise.all(nodes.map((sink) => sink.close()));
    await worker.close();
  });

  it('in-process (all-in-one): two DB sinks, 10,000 events, a redelivered slice counts once', async () => {
    const sqlite = createDatabase('sqlite::memory:');
    await migrateToLatest(sqlite.db);
    try {
      const sinks = [0, 1].map(() => createDbUsageSink({ db: sqlite.db, batchSize: 300, flushMs: 20 }));
      await Promise.all(sinks.map((sink, n) => produce((i) => sink.emit(makeUsageEvent(`n${n}`, i)), PER_PRODUCER)));
      // A node that retried after an ambiguous failure sends part of its events again.
      for (let i = 100; i < 600; i++) sinks[0]?.emit(makeUsageEvent('n0', i));
      await Promise.all(sinks.map((sink) => sink.flush()));
      expect(await totals(sqlite)).toEqual({ rows: 2 * PER_PRODUCER, tokens: 2 * sumTo(PER_PRODUCER) });
      await Promise.all(sinks.map((sink) => sink.close()));
    } finally {
      await sqlite.close();
    }
  });
});
