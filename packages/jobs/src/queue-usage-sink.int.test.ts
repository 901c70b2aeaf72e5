import { startTcpProxy } from '@aisbf/bus';
import { createDatabase, migrateToLatest } from '@aisbf/db';
import { createSecretBox, generateSecretKey } from '@aisbf/secrets';
import { testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { describe, expect, it } from 'vitest';
import { createWorkers } from './create-workers';
import { createQueueUsageSink } from './queue-usage-sink';
import { makeUsageEvent } from './test-support/usage-events';

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
    const workers = await createWorkers({
      url: testRedisUrl(),
      prefix,
      db: handle.db,
      secretBox: createSecretBox(generateSecretKey()),
      publish: async () => undefined,
      healthEveryMs: 0,
      discoverEveryMs: 0,
    });
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
});
