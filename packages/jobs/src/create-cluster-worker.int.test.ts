import { createRedisHealthBoard, createRedisPartSource } from '@aisbf/bus';
import { createDatabase, insertUsageEvents, insertUser, migrateToLatest, upsertProvider } from '@aisbf/db';
import { createSecretBox, generateSecretKey } from '@aisbf/secrets';
import { startMockUpstream, testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { describe, expect, it } from 'vitest';
import { createBullmqJobRunner } from './bullmq-job-runner';
import { createClusterWorker } from './create-cluster-worker';
import { servedBy } from './test-support/usage-events';

async function until(check: () => boolean, timeoutMs: number, label: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('cluster worker', () => {
  it('a discovery run by the worker reaches a data-plane node; health reaches its board', async () => {
    const handle = createDatabase('sqlite::memory:');
    await migrateToLatest(handle.db);
    const box = createSecretBox(generateSecretKey());
    const upstream = await startMockUpstream({ models: ['m1', 'fresh-model'] });
    const prefix = testRedisPrefix('cw');
    const user = await insertUser(handle.db, { username: 'bob', passwordHash: null, role: 'user', now: 0 });
    await upsertProvider(
      handle.db,
      {
        ownerId: user.id,
        id: 'lan',
        type: 'openai',
        endpoint: upstream.url,
        apiKeyEnc: null,
        enabled: true,
        adminOnly: false,
        settings: {},
        models: [{ name: 'm1' }],
      },
      0,
    );
    // In use (the periodic health run only looks after those; docs/jobs.md).
    await insertUsageEvents(handle.db, [servedBy(user.id, 'lan', Date.now())]);
    // A reset before any answer: a connection-level fault, which marks the provider as a whole.
    upstream.setDefault({ kind: 'reset' });
    const worker = await createClusterWorker({
      url: testRedisUrl(),
      prefix,
      db: handle.db,
      secretBox: box,
      healthEveryMs: 200,
      discoverEveryMs: 0,
      healthPolicy: { probeTimeoutMs: 1_000 },
    });
    const node = createRedisPartSource({ url: testRedisUrl(), prefix, pollMs: 60_000, bootTimeoutMs: 300 });
    const board = createRedisHealthBoard({ url: testRedisUrl(), prefix, pollMs: 0 });
    const runner = createBullmqJobRunner({ url: testRedisUrl(), prefix, timeoutMs: 10_000 });
    try {
      await until(() => board.unhealthySince(user.id, 'lan', 'm1') !== null, 10_000, 'unhealthy on the data plane');
      upstream.setDefault({ kind: 'ok' });
      await until(() => board.unhealthySince(user.id, 'lan', 'm1') === null, 10_000, 'healed on the data plane');

      await until(() => node.connected(), 5_000, 'node connected');
      expect(await runner.discoverModels({ ownerId: user.id, providerId: 'lan' })).toEqual({
        models: ['m1', 'fresh-model'],
        added: ['fresh-model'],
        removed: [],
      });
      // The discovery stored the owner's part before the job answered: a node reading it now sees both models.
      const part = await node.loadUser(user.id);
      expect(part?.providers.find((p) => p.id === 'lan')?.models.map((m) => m.name)).toEqual(['m1', 'fresh-model']);
      expect(worker.healthy()).toBe(true);
    } finally {
      await runner.close();
      await board.close();
      await node.close();
      await worker.close();
      await upstream.close();
      await handle.close();
    }
  });
});
