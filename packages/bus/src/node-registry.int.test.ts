import { testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { PartSourceStatus } from './bus-part-source';
import { createRedisNodeList, startNodeHeartbeat } from './node-registry';
import { waitFor } from './test-support/tcp-proxy';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const status = (version: number, behindSince: number | null): PartSourceStatus => ({
  connected: true,
  version,
  lastSyncAt: 0,
  announcedVersion: version,
  behindSince,
  lastError: null,
  usersHeld: 0,
  bytesHeld: 0,
  jsonBytesHeld: 0,
  unknownTokensHeld: 0,
  unknownTokenHits: 0,
  budgetBytes: 1,
  loads: 0,
  evictions: 0,
  resyncs: 0,
});

describe('node registry', () => {
  it('lists live nodes with version and lag, and drops silent ones', async () => {
    const prefix = testRedisPrefix('nodes');
    let t = 1_000_000;
    const now = () => t;
    const a = startNodeHeartbeat({
      url: testRedisUrl(),
      prefix,
      nodeId: 'dp-a',
      source: { status: () => status(7, null) },
      everyMs: 60_000,
      now,
    });
    const b = startNodeHeartbeat({
      url: testRedisUrl(),
      prefix,
      nodeId: 'dp-b',
      source: { status: () => status(6, t - 250) },
      everyMs: 60_000,
      now,
    });
    const list = createRedisNodeList({ url: testRedisUrl(), prefix, staleMs: 10_000, now });
    closers.push(
      () => a.close(),
      () => b.close(),
      () => list.close(),
    );
    await waitFor(async () => (await list.listNodes()).length === 2, 3_000, 'both nodes');
    expect(await list.listNodes()).toEqual([
      { id: 'dp-a', version: 7, lagMs: 0, seenAt: 1_000_000 },
      { id: 'dp-b', version: 6, lagMs: 250, seenAt: 1_000_000 },
    ]);
    t += 20_000;
    await a.beat();
    expect((await list.listNodes()).map((n) => n.id)).toEqual(['dp-a']);
  });
});
