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

const change = (
  providerId: string,
  status: HealthChange['status'],
  at: number,
  model: string | null = null,
  since?: number,
): HealthChange => ({
  providerOwnerId: null,
  providerId,
  model,
  status,
  previous: status === 'healthy' ? 'unhealthy' : 'healthy',
  reason: 'test',
  at,
  ...(since === undefined ? {} : { since }),
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
    expect(early.unhealthySince(null, 'lan', 'm1')).toBeNull(); // unknown counts as healthy
    await publish(change('lan', 'unhealthy', 1));
    await waitFor(() => early.unhealthySince(null, 'lan', 'm1') === 1, 3_000, 'unhealthy on the running node');
    const late = board();
    await waitFor(() => late.unhealthySince(null, 'lan', 'm2') === 1, 3_000, 'state read at start');
    await publish(change('lan', 'healthy', 2));
    await waitFor(
      () => early.unhealthySince(null, 'lan', 'm1') === null && late.unhealthySince(null, 'lan', 'm1') === null,
      3_000,
      'healed everywhere',
    );
    await publish(change('lan', 'unhealthy', 1)); // late, out-of-order message
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(early.unhealthySince(null, 'lan', 'm1')).toBeNull();
  });

  it('a model judged unhealthy leaves the other models of its provider alone; since dates the evidence', async () => {
    const { publish, board } = make();
    const node = board();
    await new Promise((resolve) => setTimeout(resolve, 150));
    await publish(change('lan', 'unhealthy', 50, 'broken', 40));
    await waitFor(() => node.unhealthySince(null, 'lan', 'broken') === 40, 3_000, 'model marked');
    expect(node.unhealthySince(null, 'lan', 'fine')).toBeNull();
    // A connection-level fault marks the provider: every model, the newer evidence winning.
    await publish(change('lan', 'unhealthy', 60, null, 55));
    await waitFor(() => node.unhealthySince(null, 'lan', 'fine') === 55, 3_000, 'provider marked');
    expect(node.unhealthySince(null, 'lan', 'broken')).toBe(55);
    const late = board();
    await waitFor(() => late.unhealthySince(null, 'lan', 'broken') === 55, 3_000, 'both levels read at start');
  });
});
