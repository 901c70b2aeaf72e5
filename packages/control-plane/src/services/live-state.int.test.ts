import { afterEach, describe, expect, it } from 'vitest';
import type { CooldownSync, UsageEvent } from '@aisbf/core';
import {
  createHealthPublisher,
  createMemoryBus,
  createMemoryCooldownSync,
  createMemoryHealthStore,
  createRedisCooldownReader,
  createRedisCooldownSync,
  createRedisHealthPublisher,
  createRedisHealthStore,
  type HealthChange,
} from '@aisbf/bus';
import { findProvider, insertUsageEvents, setModelHealth, setProviderHealth } from '@aisbf/db';
import { createTestMysqlDatabase, testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { createServicesFixture, type ServicesFixture } from '../test-support/services-fixture';
import type { CooldownSource, HealthMarkSource } from '../ports';

/**
 * What a data-plane node and the health job write, through the same stores they use in each mode:
 * all-in-one (in process) and cluster (Redis, read by the control plane over its own connection).
 */
interface Mode {
  dbUrl(): Promise<string>;
  /** The data plane's side (what a node publishes) and the control plane's read side. */
  stores(): {
    node: CooldownSync;
    cooldowns: CooldownSource;
    publishHealth: (change: HealthChange) => Promise<void>;
    healthMarks: HealthMarkSource;
    close(): Promise<void>;
  };
}

const MODES: Array<[string, Mode]> = [
  [
    'all-in-one (in-process stores, SQLite)',
    {
      dbUrl: async () => 'sqlite::memory:',
      stores() {
        const sync = createMemoryCooldownSync();
        const healthStore = createMemoryHealthStore();
        return {
          node: sync,
          cooldowns: sync,
          publishHealth: createHealthPublisher({ bus: createMemoryBus(), store: healthStore }),
          healthMarks: healthStore,
          close: async () => undefined,
        };
      },
    },
  ],
  [
    'cluster (Redis, MariaDB)',
    {
      dbUrl: () => createTestMysqlDatabase('live'),
      stores() {
        const redis = { url: testRedisUrl(), prefix: testRedisPrefix('live') };
        const node = createRedisCooldownSync({ ...redis, nodeId: 'dp-1', name: 'test-live-dp' });
        const cooldowns = createRedisCooldownReader({ ...redis, name: 'test-live-cp' });
        const worker = createRedisHealthPublisher({ ...redis, name: 'test-live-worker' });
        const healthMarks = createRedisHealthStore({ ...redis, name: 'test-live-cp-health' });
        return {
          node,
          cooldowns,
          publishHealth: worker.publishHealth,
          healthMarks,
          async close() {
            await Promise.all([node.close(), cooldowns.close(), worker.close(), healthMarks.close()]);
          },
        };
      },
    },
  ],
];

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 3_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.each(MODES)('rotations.liveState, %s', (_name, mode) => {
  async function setup(): Promise<{ f: ServicesFixture; stores: ReturnType<Mode['stores']> }> {
    const stores = mode.stores();
    closers.push(() => stores.close());
    const f = await createServicesFixture(await mode.dbUrl(), {
      cooldowns: stores.cooldowns,
      healthMarks: stores.healthMarks,
    });
    closers.push(() => f.close());
    return { f, stores };
  }

  it('shows an open cooldown on its entry with until and why, health per provider and model, and a close', async () => {
    const { f, stores } = await setup();
    const alice = await f.user('alice');
    await f.services.providers.upsert(alice, {
      input: { id: 'lan', type: 'openai', endpoint: 'http://127.0.0.1:9/v1', models: ['m1', 'm2'] },
    });
    await f.services.rotations.upsert(alice, {
      id: 'coding',
      config: {
        providers: [
          { provider_id: 'lan', model: 'm1', weight: 2, error_cooldown: 30 },
          { provider_id: 'lan', model: 'm2', weight: 1, error_cooldown: 5 },
        ],
      },
    });
    const now = Date.now();
    // What the data plane's routing state publishes: the entry key is `<owner scope>|<provider>|<model>`.
    stores.node.publish(`${alice.userId}|lan|m1`, now + 30_000);
    // Another user's cooldown on a provider of the same name is not alice's.
    stores.node.publish(`someone-else|lan|m2`, now + 30_000);
    const failed = (id: string, status: number | null, outcome: 'error' | 'refused'): UsageEvent => ({
      id: `live-state-${id}`,
      requestId: id,
      at: now - 500,
      userId: alice.userId,
      tokenId: null,
      route: 'user-rotation/coding',
      provider: 'lan',
      providerOwnerId: alice.userId,
      model: 'm2',
      endpoint: 'chat.completions',
      stream: false,
      status: 200,
      outcome: 'ok',
      promptTokens: 1,
      completionTokens: 1,
      estimated: false,
      latencyMs: 5,
      ttfbMs: 5,
      attempts: [
        { provider: 'lan', model: 'm1', status, outcome, latencyMs: 1 },
        { provider: 'lan', model: 'm2', status: 200, outcome: 'ok', latencyMs: 3 },
      ],
    });
    await insertUsageEvents(f.handle.db, [failed('a', 503, 'error'), failed('b', null, 'refused')]);

    // Health: the job's verdicts in the database (last probe) and its marks in the shared store (evidence time).
    const provider = await findProvider(f.handle.db, alice.userId, 'lan');
    if (provider === undefined) throw new Error('provider missing');
    await setProviderHealth(f.handle.db, provider.rowId, { status: 'healthy', checkedAt: now - 1_000 });
    await setModelHealth(f.handle.db, provider.rowId, 'm2', {
      status: 'unhealthy',
      checkedAt: now - 1_000,
      error: 'HTTP 503',
    });
    // Evidence 10 s old and m2's error_cooldown is 5 s: the skip is over, the next request probes it.
    await stores.publishHealth({
      providerOwnerId: alice.userId,
      providerId: 'lan',
      model: 'm2',
      status: 'unhealthy',
      previous: 'healthy',
      reason: 'HTTP 503',
      at: now - 1_000,
      since: now - 10_000,
    });

    const state = await until(
      () => f.services.rotations.liveState(alice),
      (s) => s.rotations[0]?.entries[0]?.cooldown !== null,
      'the cooldown',
    );
    expect(state.cooldownsKnown).toBe(true);
    expect(state.rotations.map((r) => r.id)).toEqual(['coding']);
    const [m1, m2] = state.rotations[0]!.entries;
    expect(m1).toMatchObject({ providerId: 'lan', model: 'm1', errorCooldownS: 30, problem: null });
    expect(Date.parse(m1!.cooldown!.until)).toBe(now + 30_000);
    expect(Date.parse(m1!.cooldown!.openedAt)).toBeGreaterThanOrEqual(now - 50);
    // Newest request first: the refused attempt is the last failure.
    expect(m1!.cooldown!.reason).toBe(
      '2 failed attempts in the requests before it opened; last: refused (no HTTP answer)',
    );
    expect(m1!.health).toMatchObject({ provider: { state: 'healthy' }, model: { state: 'unknown', checkedAt: null } });
    expect(m2!.cooldown).toBeNull();
    expect(m2!.health?.model).toEqual({
      state: 'half-open',
      checkedAt: new Date(now - 1_000).toISOString(),
      since: new Date(now - 10_000).toISOString(),
      error: 'HTTP 503',
    });
    expect(Date.parse(m2!.health!.provider.checkedAt!)).toBe(now - 1_000);

    // A successful probe sent after the opening closes it everywhere.
    stores.node.publishClose(`${alice.userId}|lan|m1`, Date.now());
    const closed = await until(
      () => f.services.rotations.liveState(alice),
      (s) => s.rotations[0]?.entries[0]?.cooldown === null,
      'the close',
    );
    expect(closed.rotations[0]!.entries[0]!.cooldown).toBeNull();
  });

  it('an unhealthy model within its cooldown is unhealthy, not half-open; other users cannot read the scope', async () => {
    const { f, stores } = await setup();
    const bob = await f.user('bob');
    await f.services.providers.upsert(bob, {
      input: { id: 'gpu', type: 'openai', endpoint: 'http://127.0.0.1:9/v1', models: ['big'] },
    });
    await f.services.rotations.upsert(bob, { id: 'x', config: { providers: [{ provider_id: 'gpu', model: 'big' }] } });
    await f.services.rotations.upsert(bob, {
      id: 'burst',
      config: { providers: [{ provider_id: 'gpu', model: 'big', error_cooldown: 60 }, { route: 'user-rotation/x' }] },
    });
    const provider = await findProvider(f.handle.db, bob.userId, 'gpu');
    const now = Date.now();
    await setProviderHealth(f.handle.db, provider!.rowId, {
      status: 'unhealthy',
      checkedAt: now - 2_000,
      error: 'connection refused',
    });
    await stores.publishHealth({
      providerOwnerId: bob.userId,
      providerId: 'gpu',
      model: null,
      status: 'unhealthy',
      previous: 'healthy',
      reason: 'connection refused',
      at: now - 2_000,
      since: now - 3_000,
    });
    const state = await f.services.rotations.liveState(bob);
    const [big, route] = state.rotations.find((r) => r.id === 'burst')!.entries;
    expect(big!.health!.provider).toMatchObject({ state: 'unhealthy', error: 'connection refused' });
    expect(Date.parse(big!.health!.provider.since!)).toBe(now - 3_000);
    expect(route).toMatchObject({ providerId: null, route: 'user-rotation/x', health: null, cooldown: null });
    const carol = await f.user('carol');
    await expect(f.services.rotations.liveState(carol, { owner: 'bob' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await f.services.rotations.liveState(f.admin, { owner: 'bob' })).rotations.map((r) => r.id).sort()).toEqual(
      ['burst', 'x'],
    );
  });
});
