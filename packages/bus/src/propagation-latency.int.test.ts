import { testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisBus } from './redis-bus';
import { partitionSnapshot } from '@aisbf/core';
import { createPartPublisher } from './part-publisher';
import { createRedisPartSource } from './redis-part-source';
import { createRedisPartStore } from './redis-part-store';
import { buildSnapshot } from './test-support/build-snapshot';
import { snapshotLoader } from './test-support/snapshot-loader';
import { waitFor } from './test-support/tcp-proxy';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

describe('propagation latency (docs/architecture.md "Propagation" target: p99 <= 100 ms)', () => {
  it('100 single-user changes reach two nodes holding that user; prints p50/p99 and part sizes', async () => {
    const prefix = testRedisPrefix('lat');
    const size = { users: 50, providers: 40, rotations: 60 };
    let version = 1;
    const bus = createRedisBus({ url: testRedisUrl(), prefix, name: 'test-lat-cp' });
    const store = createRedisPartStore({ url: testRedisUrl(), prefix });
    const publisher = createPartPublisher({
      bus,
      store,
      load: snapshotLoader(() => buildSnapshot(version, size)),
    });
    closers.push(
      () => bus.close(),
      () => store.close(),
      () => publisher.close(),
    );
    await publisher.republish();
    const nodes = [0, 1].map((i) =>
      createRedisPartSource({ url: testRedisUrl(), prefix, pollMs: 60_000, name: `test-lat-dp${i}` }),
    );
    for (const n of nodes) closers.push(() => n.close());
    for (const n of nodes) {
      await n.load();
      await n.loadUser('u1');
    }
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
      await publisher.publish({ version: target, kind: 'user', id: 'u1', op: 'upsert', owner: 'u1' });
      publishOnly.push(performance.now() - started);
      await Promise.all(reached);
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    publishOnly.sort((a, b) => a - b);
    const whole = buildSnapshot(version, size);
    const parts = partitionSnapshot(whole);
    const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));
    const userBytes = bytes(parts.users.find((u) => u.user.id === 'u1'));
    const fmt = (n: number): string => n.toFixed(1);
    console.log(
      `[propagation] whole snapshot ${bytes(whole)} bytes, global part ${bytes(parts.global)} bytes, the changed user's part ${userBytes} bytes ` +
        `(${size.users} users, ${size.providers} providers, ${size.rotations} rotations); ` +
        `commit->both nodes p50 ${fmt(percentile(latencies, 50))} ms p99 ${fmt(percentile(latencies, 99))} ms max ${fmt(latencies.at(-1) ?? NaN)} ms; ` +
        `publish call p50 ${fmt(percentile(publishOnly, 50))} ms p99 ${fmt(percentile(publishOnly, 99))} ms`,
    );
    expect(nodes.every((n) => n.version() === version && n.heldUser('u1')?.version === version)).toBe(true);
    expect(latencies).toHaveLength(100);
  });
});
