import { testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisBus } from './redis-bus';
import { createRedisSnapshotSource } from './redis-snapshot-source';
import { createRedisSnapshotStore } from './redis-snapshot-store';
import { createSnapshotPublisher } from './snapshot-publisher';
import { buildSnapshot } from './test-support/build-snapshot';
import { waitFor } from './test-support/tcp-proxy';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

describe('propagation latency (docs/architecture.md "Propagation" target: p99 <= 100 ms)', () => {
  it('100 changes reach two nodes; prints p50/p99 and snapshot size', async () => {
    const prefix = testRedisPrefix('lat');
    const size = { users: 50, providers: 40, rotations: 60 };
    let version = 1;
    const bus = createRedisBus({ url: testRedisUrl(), prefix, name: 'test-lat-cp' });
    const store = createRedisSnapshotStore({ url: testRedisUrl(), prefix });
    const publisher = createSnapshotPublisher({ bus, store, loadSnapshot: async () => buildSnapshot(version, size) });
    closers.push(
      () => bus.close(),
      () => store.close(),
      () => publisher.close(),
    );
    await publisher.republish();
    const nodes = [0, 1].map((i) =>
      createRedisSnapshotSource({ url: testRedisUrl(), prefix, pollMs: 60_000, name: `test-lat-dp${i}` }),
    );
    for (const n of nodes) closers.push(() => n.close());
    for (const n of nodes) await n.load();
    await waitFor(() => nodes.every((n) => n.connected()), 3_000, 'nodes connected');

    const latencies: number[] = [];
    const publishOnly: number[] = [];
    for (let i = 0; i < 100; i++) {
      version += 1;
      const target = version;
      const reached = nodes.map(
        (n) =>
          new Promise<void>((resolve) => {
            const off = n.subscribe((change) => {
              if (change.version >= target) {
                off();
                resolve();
              }
            });
          }),
      );
      const started = performance.now();
      await publisher.publish({ version: target, kind: 'rotation', id: `rotation-${i % 60}`, op: 'upsert' });
      publishOnly.push(performance.now() - started);
      await Promise.all(reached);
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    publishOnly.sort((a, b) => a - b);
    const bytes = Buffer.byteLength(JSON.stringify(buildSnapshot(version, size)));
    const fmt = (n: number): string => n.toFixed(1);
    console.log(
      `[propagation] snapshot ${bytes} bytes (${size.users} users, ${size.providers} providers, ${size.rotations} rotations); ` +
        `commit->both nodes p50 ${fmt(percentile(latencies, 50))} ms p99 ${fmt(percentile(latencies, 99))} ms max ${fmt(latencies.at(-1) ?? NaN)} ms; ` +
        `publish call p50 ${fmt(percentile(publishOnly, 50))} ms p99 ${fmt(percentile(publishOnly, 99))} ms`,
    );
    expect(nodes.every((n) => n.current()?.version === version)).toBe(true);
    expect(latencies).toHaveLength(100);
  });
});
