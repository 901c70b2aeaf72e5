import { randomBytes } from 'node:crypto';
import type { ConfigChange, Snapshot } from '@aisbf/core';
import { testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bus } from './bus';
import type { ManagedSnapshotSource } from './bus-snapshot-source';
import { createMemoryBus } from './memory-bus';
import { createMemorySnapshotSource } from './memory-snapshot-source';
import { createRedisBus } from './redis-bus';
import { createRedisSnapshotSource } from './redis-snapshot-source';
import { createRedisSnapshotStore } from './redis-snapshot-store';
import { createSnapshotPublisher, type SnapshotPublisher } from './snapshot-publisher';
import { createMemorySnapshotStore, type SnapshotStore } from './snapshot-store';
import { buildSnapshot } from './test-support/build-snapshot';
import { configChangedTopic } from './topics';
import { killRedisClients, startTcpProxy, waitFor } from './test-support/tcp-proxy';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A control plane: a "database" whose committed version the test bumps, and a publisher. */
interface ControlPlane {
  commit(change: Omit<ConfigChange, 'version'>): Promise<number>;
  publisher: SnapshotPublisher;
  store: SnapshotStore;
  setVersionSilently(version: number): Promise<void>;
}

interface Cluster {
  control: ControlPlane;
  node(): ManagedSnapshotSource;
}

function controlPlane(bus: Bus, store: SnapshotStore): ControlPlane {
  let version = 0;
  const publisher = createSnapshotPublisher({ bus, store, loadSnapshot: async () => buildSnapshot(version) });
  closers.push(() => publisher.close());
  return {
    publisher,
    store,
    async commit(change) {
      version += 1;
      await publisher.publish({ ...change, version });
      return version;
    },
    async setVersionSilently(v) {
      version = v;
      await store.put(buildSnapshot(v));
    },
  };
}

const clusters: Array<{ name: string; make(): Cluster }> = [
  {
    name: 'memory',
    make() {
      const bus = createMemoryBus();
      const store = createMemorySnapshotStore();
      closers.push(() => bus.close());
      return {
        control: controlPlane(bus, store),
        node() {
          const source = createMemorySnapshotSource({ bus, store });
          closers.push(() => source.close());
          return source;
        },
      };
    },
  },
  {
    name: 'redis',
    make() {
      const prefix = testRedisPrefix('snap');
      const bus = createRedisBus({ url: testRedisUrl(), prefix, name: 'test-cp' });
      const store = createRedisSnapshotStore({ url: testRedisUrl(), prefix });
      closers.push(
        () => bus.close(),
        () => store.close(),
      );
      return {
        control: controlPlane(bus, store),
        node() {
          const source = createRedisSnapshotSource({ url: testRedisUrl(), prefix, pollMs: 200 });
          closers.push(() => source.close());
          return source;
        },
      };
    },
  },
];

describe.each(clusters)('snapshot propagation: $name', ({ make }) => {
  it('two nodes converge on every change, in version order', async () => {
    const { control, node } = make();
    await control.commit({ kind: 'snapshot', id: '*', op: 'upsert' });
    const a = node();
    const b = node();
    expect((await a.load())?.version).toBe(1);
    expect((await b.load())?.version).toBe(1);
    const seenA: number[] = [];
    const seenB: number[] = [];
    a.subscribe((c) => seenA.push(c.version));
    b.subscribe((c) => seenB.push(c.version));
    for (let i = 0; i < 20; i++) await control.commit({ kind: 'rotation', id: `r${i}`, op: 'upsert' });
    await waitFor(() => a.current()?.version === 21 && b.current()?.version === 21, 3_000, 'convergence');
    // Versions only ever go forward; a burst may be collapsed into fewer, newer steps.
    for (const seen of [seenA, seenB]) {
      expect(seen.at(-1)).toBe(21);
      expect([...seen].sort((x, y) => x - y)).toEqual(seen);
      expect(new Set(seen).size).toBe(seen.length);
    }
  });

  it('a subscriber reads the new snapshot without I/O and gets the announced change', async () => {
    const { control, node } = make();
    await control.commit({ kind: 'snapshot', id: '*', op: 'upsert' });
    const a = node();
    await a.load();
    const got: Array<[ConfigChange, Snapshot | null]> = [];
    a.subscribe((c) => got.push([c, a.current()]));
    await control.commit({ kind: 'token', id: 't9', op: 'delete' });
    await waitFor(() => got.length === 1, 3_000, 'change');
    expect(got[0]?.[0]).toEqual({ version: 2, kind: 'token', id: 't9', op: 'delete' });
    expect(got[0]?.[1]?.version).toBe(2);
  });

  it('ignores an announcement older than what it serves', async () => {
    const { control, node } = make();
    await control.setVersionSilently(5);
    const a = node();
    expect((await a.load())?.version).toBe(5);
    const seen: number[] = [];
    a.subscribe((c) => seen.push(c.version));
    await control.publisher.publish({ version: 3, kind: 'user', id: 'u1', op: 'upsert' });
    await a.refresh();
    expect(seen).toEqual([]);
    expect(a.current()?.version).toBe(5);
  });

  it('never stores an older snapshot over a newer one', async () => {
    const { control } = make();
    await control.setVersionSilently(9);
    expect(await control.store.put(buildSnapshot(4))).toBe(false);
    expect((await control.store.get())?.version).toBe(9);
  });
});

describe('redis snapshot source recovery', () => {
  it('picks up a change whose announcement was lost (periodic check)', async () => {
    const prefix = testRedisPrefix('snap');
    const store = createRedisSnapshotStore({ url: testRedisUrl(), prefix });
    closers.push(() => store.close());
    await store.put(buildSnapshot(1));
    const source = createRedisSnapshotSource({ url: testRedisUrl(), prefix, pollMs: 100 });
    closers.push(() => source.close());
    expect((await source.load())?.version).toBe(1);
    await store.put(buildSnapshot(2)); // stored, never announced
    await waitFor(() => source.current()?.version === 2, 2_000, 'poll catch-up');
  });

  it('re-reads shortly when the store is behind an announcement', async () => {
    const prefix = testRedisPrefix('snap');
    const store = createRedisSnapshotStore({ url: testRedisUrl(), prefix });
    const bus = createRedisBus({ url: testRedisUrl(), prefix, name: `test-ahead-${randomBytes(3).toString('hex')}` });
    closers.push(
      () => store.close(),
      () => bus.close(),
    );
    await store.put(buildSnapshot(1));
    const source = createRedisSnapshotSource({ url: testRedisUrl(), prefix, pollMs: 60_000 });
    closers.push(() => source.close());
    expect((await source.load())?.version).toBe(1);
    await waitFor(() => source.connected() && bus.connected(), 3_000, 'connected');
    await bus.publish(configChangedTopic, { version: 2, kind: 'user', id: 'u1', op: 'upsert' });
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(source.status().behindSince).not.toBeNull();
    await store.put(buildSnapshot(2)); // the store catches up after the announcement
    await waitFor(() => source.current()?.version === 2, 1_500, 'quick re-read (the poll is 60 s)');
    expect(source.status().behindSince).toBeNull();
  });

  it('keeps the last snapshot while Redis is away, reports it, and catches up after', async () => {
    const prefix = testRedisPrefix('snap');
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(testRedisUrl()).port || 6379));
    closers.push(() => proxy.close());
    const viaProxy = `redis://127.0.0.1:${proxy.port}`;
    const cpBus = createRedisBus({ url: testRedisUrl(), prefix, name: 'test-cp' });
    const store = createRedisSnapshotStore({ url: testRedisUrl(), prefix });
    closers.push(
      () => cpBus.close(),
      () => store.close(),
    );
    let version = 1;
    const publisher = createSnapshotPublisher({ bus: cpBus, store, loadSnapshot: async () => buildSnapshot(version) });
    closers.push(() => publisher.close());
    await publisher.republish();

    // Long poll: the catch-up below must come from the reconnect, not from the timer.
    const nodes = [0, 1].map(() => createRedisSnapshotSource({ url: viaProxy, prefix, pollMs: 60_000 }));
    for (const n of nodes) closers.push(() => n.close());
    for (const n of nodes) expect((await n.load())?.version).toBe(1);
    await waitFor(() => nodes.every((n) => n.connected()), 3_000, 'nodes connected');

    proxy.cut();
    await waitFor(() => nodes.every((n) => !n.connected()), 3_000, 'nodes report disconnected');
    version = 2;
    await publisher.publish({ version: 2, kind: 'provider', id: 'p1', op: 'upsert' });
    version = 3;
    await publisher.publish({ version: 3, kind: 'rotation', id: 'r1', op: 'delete' });
    await new Promise((resolve) => setTimeout(resolve, 150));
    for (const n of nodes) {
      expect(n.current()?.version).toBe(1); // still serving the last good one
      expect((await n.load())?.version).toBe(1);
      expect(n.status().connected).toBe(false);
    }

    proxy.restore();
    await waitFor(() => nodes.every((n) => n.current()?.version === 3), 5_000, 'catch-up after reconnect');
    expect(nodes.every((n) => n.connected())).toBe(true);
  });

  it('a node that boots with Redis away has no snapshot (the data plane answers 503)', async () => {
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(testRedisUrl()).port || 6379));
    closers.push(() => proxy.close());
    proxy.cut();
    const source = createRedisSnapshotSource({
      url: `redis://127.0.0.1:${proxy.port}`,
      prefix: testRedisPrefix('snap'),
      bootTimeoutMs: 300,
    });
    closers.push(() => source.close());
    const started = Date.now();
    expect(await source.load()).toBeNull();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(source.connected()).toBe(false);
  });

  it('the control plane re-stores the snapshot when Redis comes back empty', async () => {
    const prefix = testRedisPrefix('snap');
    const name = `test-cp-${randomBytes(3).toString('hex')}`;
    const bus = createRedisBus({ url: testRedisUrl(), prefix, name });
    const store = createRedisSnapshotStore({ url: testRedisUrl(), prefix });
    closers.push(
      () => bus.close(),
      () => store.close(),
    );
    const publisher = createSnapshotPublisher({ bus, store, loadSnapshot: async () => buildSnapshot(7) });
    closers.push(() => publisher.close());
    // The first connect already stores it.
    await waitFor(async () => (await store.version().catch(() => null)) === 7, 3_000, 'stored at connect');
    // Redis restarted without persistence: keys gone, connections dropped.
    await store.client.del(`${prefix}snapshot`, `${prefix}snapshot:version`);
    expect(await killRedisClients(store.client, [`${name}-sub`, `${name}-pub`])).toBe(2);
    await waitFor(async () => (await store.version().catch(() => null)) === 7, 5_000, 're-stored after reconnect');
  });
});
