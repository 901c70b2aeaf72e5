import { startTcpProxy } from '@aisbf/bus';
import { createDatabase, migrateToLatest } from '@aisbf/db';
import { testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createQueueUsageSink } from './queue-usage-sink';
import { createUsageSpool } from './usage-spool';
import { makeUsageEvent } from './test-support/usage-events';
import { startUsageWorkers } from './test-support/usage-workers';

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, label: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('queue usage sink', () => {
  it('keeps events in memory while Redis is away and delivers them once it is back', async () => {
    const handle = createDatabase('sqlite::memory:');
    await migrateToLatest(handle.db);
    const prefix = testRedisPrefix('usink');
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(testRedisUrl()).port || 6379));
    const sink = createQueueUsageSink({ url: `redis://127.0.0.1:${proxy.port}`, prefix, batchSize: 100, flushMs: 20 });
    const workers = await startUsageWorkers(handle.db, prefix);
    const rows = async () => (await handle.db.selectFrom('usage_records').select('id').execute()).length;
    try {
      for (let i = 0; i < 100; i++) sink.emit(makeUsageEvent('a', i));
      await sink.flush();
      await until(async () => (await rows()) === 100, 5_000, 'first 100 written');

      proxy.cut();
      for (let i = 100; i < 400; i++) sink.emit(makeUsageEvent('a', i)); // never throws, never blocks
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(sink.buffered()).toBe(300);

      proxy.restore();
      await sink.flush();
      expect(sink.buffered()).toBe(0);
      await until(async () => (await rows()) === 400, 5_000, 'all 400 written');
    } finally {
      await sink.close();
      await workers.close();
      await proxy.close();
      await handle.close();
    }
  });
  it('spools what Redis did not take before shutdown, and the next start delivers it exactly once', async () => {
    const handle = createDatabase('sqlite::memory:');
    await migrateToLatest(handle.db);
    const prefix = testRedisPrefix('uspool');
    const dir = mkdtempSync(join(tmpdir(), 'aisbf-uspool-'));
    const spool = createUsageSpool({ dir });
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(testRedisUrl()).port || 6379));
    const workers = await startUsageWorkers(handle.db, prefix);
    const rows = async () => (await handle.db.selectFrom('usage_records').select('id').execute()).length;
    try {
      const first = createQueueUsageSink({
        url: `redis://127.0.0.1:${proxy.port}`,
        prefix,
        batchSize: 100,
        flushMs: 20,
        spool,
        closeGraceMs: 300,
      });
      for (let i = 0; i < 50; i++) first.emit(makeUsageEvent('b', i));
      await first.flush();
      await until(async () => (await rows()) === 50, 5_000, 'first 50 written');
      proxy.cut();
      for (let i = 50; i < 250; i++) first.emit(makeUsageEvent('b', i));
      const closing = Date.now();
      await first.close();
      expect(Date.now() - closing).toBeLessThan(3_000);
      expect(readdirSync(dir).filter((name) => name.endsWith('.ndjson'))).toHaveLength(1);

      // The node's next start, Redis reachable again.
      proxy.restore();
      const next = createQueueUsageSink({ url: testRedisUrl(), prefix, batchSize: 100, flushMs: 20, spool });
      expect(await spool.replay(next)).toBe(200);
      await until(async () => (await rows()) === 250, 5_000, 'all 250 written');
      expect(readdirSync(dir)).toEqual([]);
      const sum = await handle.db
        .selectFrom('usage_records')
        .select((eb) => eb.fn.sum<number>('prompt_tokens').as('total'))
        .executeTakeFirstOrThrow();
      // Every event once: promptTokens of event i is i.
      expect(Number(sum.total)).toBe((249 * 250) / 2);
      await next.close();
    } finally {
      await workers.close();
      await proxy.close();
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
