import { testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createHealthBoard, createHealthPublisher, createMemoryHealthStore, type HealthBoard } from './health-board';
import { createMemoryBus } from './memory-bus';
import { createRedisHealthBoard, createRedisHealthPublisher } from './redis-health-store';
import { waitFor } from './test-support/tcp-proxy';
import type { HealthChange } from './topics';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const change = (providerId: string, status: HealthChange['status'], at: number): HealthChange => ({
  providerOwnerId: null,
  providerId,
  model: null,
  status,
  previous: status === 'healthy' ? 'unhealthy' : 'healthy',
  reason: 'test',
  at,
});

const setups: Array<{ name: string; make(): { publish: (c: HealthChange) => Promise<void>; board(): HealthBoard } }> = [
  {
    name: 'memory',
    make() {
      const bus = createMemoryBus();
      const store = createMemoryHealthStore();
      return {
        publish: createHealthPublisher({ bus, store }),
        board() {
          const b = createHealthBoard({ bus, store, pollMs: 0 });
          closers.push(() => b.close());
          return b;
        },
      };
    },
  },
  {
    name: 'redis',
    make() {
      const prefix = testRedisPrefix('health');
      const publisher = createRedisHealthPublisher({ url: testRedisUrl(), prefix });
      closers.push(() => publisher.close());
      return {
        publish: publisher.publishHealth,
        board() {
          const b = createRedisHealthBoard({ url: testRedisUrl(), prefix, pollMs: 0 });
          closers.push(() => b.close());
          return b;
        },
      };
    },
  },
];

describe.each(setups)('health board: $name', ({ make }) => {
  it('running nodes follow changes; a node that starts later reads the current state', async () => {
    const { publish, board } = make();
    const early = board();
    await new Promise((resolve) => setTimeout(resolve, 150)); // subscribed
    expect(early.isHealthy(null, 'lan')).toBe(true); // unknown counts as healthy
    await publish(change('lan', 'unhealthy', 1));
    await waitFor(() => !early.isHealthy(null, 'lan'), 3_000, 'unhealthy on the running node');
    const late = board();
    await waitFor(() => !late.isHealthy(null, 'lan'), 3_000, 'state read at start');
    await publish(change('lan', 'healthy', 2));
    await waitFor(() => early.isHealthy(null, 'lan') && late.isHealthy(null, 'lan'), 3_000, 'healed everywhere');
    await publish(change('lan', 'unhealthy', 1)); // late, out-of-order message
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(early.isHealthy(null, 'lan')).toBe(true);
  });
});
