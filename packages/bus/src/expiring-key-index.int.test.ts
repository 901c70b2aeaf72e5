import { testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createRedisCooldownReader } from './cooldown-reader';
import { createRedisCooldownSync } from './redis-cooldown-sync';
import { createRedisPrefillRefusals } from './redis-prefill-refusals';
import { startTcpProxy, waitFor } from './test-support/tcp-proxy';

/**
 * docs/cluster.md "Cooldowns", "Prefill refusals": open cooldowns and prefill refusals are read
 * through a sorted-set index, O(live keys), not by a SCAN of the whole Redis keyspace.
 */
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const admin = new Redis(testRedisUrl());
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(async () => {
  await admin.quit();
});

const cooldownNode = (prefix: string, nodeId: string) => {
  const sync = createRedisCooldownSync({ url: testRedisUrl(), prefix, nodeId, name: `test-cdi-${nodeId}` });
  closers.push(() => sync.close());
  return sync;
};
const cooldownReader = (prefix: string, url = testRedisUrl()) => {
  const reader = createRedisCooldownReader({ url, prefix, name: 'test-cdi-reader' });
  closers.push(() => reader.close());
  return reader;
};
const prefillNode = (prefix: string, nodeId: string, options: { url?: string; ttlMs?: number } = {}) => {
  const refusals = createRedisPrefillRefusals({
    url: options.url ?? testRedisUrl(),
    prefix,
    nodeId,
    name: `test-pfi-${nodeId}`,
    ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
  });
  closers.push(() => refusals.close());
  return refusals;
};
/** Every key a refusal node learns once connected, at subscribe and afterwards. */
const learned = async (refusals: ReturnType<typeof prefillNode>): Promise<string[]> => {
  await settle(200);
  const keys: string[] = [];
  refusals.subscribe((key) => keys.push(key));
  return keys;
};

/** A proxy in front of Redis that records the names of the commands its clients send. */
async function countingProxy(): Promise<{ url: string; commands: () => string[] }> {
  const chunks: Buffer[] = [];
  const proxy = await startTcpProxy('127.0.0.1', Number(new URL(testRedisUrl()).port || 6379), {
    onSent: (chunk) => chunks.push(chunk),
  });
  closers.push(() => proxy.close());
  return {
    url: `redis://127.0.0.1:${proxy.port}`,
    // RESP: each command is an array whose first bulk string is its name.
    commands: () =>
      [
        ...Buffer.concat(chunks)
          .toString('latin1')
          .matchAll(/\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n/g),
      ].map((m) => m[1]!.toLowerCase()),
  };
}

/** `count` keys that are not cooldowns nor refusals, as another application's data would be. */
async function unrelatedKeys(prefix: string, count: number): Promise<() => Promise<void>> {
  const keys = Array.from({ length: count }, (_, i) => `${prefix}other-app:${i}`);
  for (let i = 0; i < keys.length; i += 5_000) {
    const pipeline = admin.pipeline();
    for (const key of keys.slice(i, i + 5_000)) pipeline.set(key, 'x', 'PX', 120_000);
    await pipeline.exec();
  }
  return async () => {
    for (let i = 0; i < keys.length; i += 5_000) await admin.unlink(...keys.slice(i, i + 5_000));
  };
}

describe('cooldown index', () => {
  it('a fresh reader finds the open cooldowns another node wrote; expired and closed ones are neither returned nor left in the index', async () => {
    const prefix = testRedisPrefix('cdi');
    const a = cooldownNode(prefix, 'a');
    await settle(200); // connected
    const until = Date.now() + 30_000;
    a.publish('u1|lan|m1', until);
    a.publish('u1|lan|m2', Date.now() + 30_000);
    a.publish('u1|lan|short', Date.now() + 150);
    await settle(100);
    expect(await admin.zcard(`${prefix}cooldown-index`)).toBe(3);
    a.publishClose('u1|lan|m2', Date.now());
    await settle(300); // the short one has expired, with its key

    const open = await cooldownReader(prefix).open();
    expect(open.map((c) => [c.key, c.until])).toEqual([['u1|lan|m1', until]]);
    // Pruned by the read: the open cooldown and the mark that the index is complete remain.
    expect(await admin.zrange(`${prefix}cooldown-index`, 0, -1)).toEqual(['u1|lan|m1', '']);

    // A node that starts later learns the same from the index.
    const seen: Array<[string, number]> = [];
    cooldownNode(prefix, 'late').subscribe((key, u) => seen.push([key, u]));
    await waitFor(() => seen.length >= 1, 3_000, 'open cooldowns on a late node');
    expect(seen).toEqual([['u1|lan|m1', until]]);
  });

  it('with 20,000 unrelated keys in the same Redis, a reader and a starting node issue no SCAN', async () => {
    const prefix = testRedisPrefix('cdi');
    const dropUnrelated = await unrelatedKeys(prefix, 20_000);
    closers.push(dropUnrelated);
    const a = cooldownNode(prefix, 'a');
    await settle(200);
    const until = Date.now() + 30_000;
    a.publish('u2|gpu|big', until);
    await settle(100);
    // The cluster's first read completes the index (one SCAN, see the next test); later ones do not SCAN.
    expect((await cooldownReader(prefix).open()).map((c) => c.key)).toEqual(['u2|gpu|big']);

    const proxy = await countingProxy();
    const open = await cooldownReader(prefix, proxy.url).open();
    expect(open.map((c) => [c.key, c.until])).toEqual([['u2|gpu|big', until]]);
    expect(proxy.commands()).not.toContain('scan');
    expect(proxy.commands().filter((name) => name === 'eval')).toHaveLength(1);

    const node = createRedisCooldownSync({ url: proxy.url, prefix, nodeId: 'b', name: 'test-cdi-b' });
    closers.push(() => node.close());
    await settle(200);
    const seen: string[] = [];
    node.subscribe((key) => seen.push(key));
    await waitFor(() => seen.length >= 1, 3_000, 'open cooldowns on node b');
    expect(seen).toEqual(['u2|gpu|big']);
    expect(proxy.commands()).not.toContain('scan');
  });

  it('cooldowns written by a node older than the index are adopted by one SCAN, then read from the index', async () => {
    const prefix = testRedisPrefix('cdi');
    // What a node without the index wrote: the key alone.
    const until = Date.now() + 30_000;
    await admin.set(`${prefix}cooldown:old|lan|m`, `${until}:${Date.now()}`, 'PX', 30_000);
    const first = await countingProxy();
    expect((await cooldownReader(prefix, first.url).open()).map((c) => [c.key, c.until])).toEqual([
      ['old|lan|m', until],
    ]);
    expect(first.commands()).toContain('scan');
    const later = await countingProxy();
    expect((await cooldownReader(prefix, later.url).open()).map((c) => c.key)).toEqual(['old|lan|m']);
    expect(later.commands()).not.toContain('scan');

    // An index Redis lost (evicted, flushed) is rebuilt the same way.
    await admin.del(`${prefix}cooldown-index`);
    const rebuilt = await countingProxy();
    expect((await cooldownReader(prefix, rebuilt.url).open()).map((c) => c.key)).toEqual(['old|lan|m']);
    expect(rebuilt.commands()).toContain('scan');
  });

  it('a later end from another node moves the index member; a shorter one leaves it', async () => {
    const prefix = testRedisPrefix('cdi');
    const a = cooldownNode(prefix, 'a');
    const b = cooldownNode(prefix, 'b');
    await settle(200);
    const first = Date.now() + 10_000;
    a.publish('p|m', first);
    await settle(100);
    const later = Date.now() + 60_000;
    b.publish('p|m', later);
    await settle(100);
    a.publish('p|m', Date.now() + 20_000);
    await settle(100);
    expect(Number(await admin.zscore(`${prefix}cooldown-index`, 'p|m'))).toBe(later);
  });
});

describe('prefill refusal index', () => {
  it('a fresh node learns the refusals another node wrote; expired ones are neither returned nor left in the index', async () => {
    const prefix = testRedisPrefix('pfi');
    const a = prefillNode(prefix, 'a');
    const short = prefillNode(prefix, 'short', { ttlMs: 150 });
    await settle(200);
    a.publish('u1|hosted|claude');
    short.publish('u1|hosted|brief');
    await settle(100);
    expect(await admin.zcard(`${prefix}prefill-refused-index`)).toBe(2);
    await settle(200); // the 150 ms refusal has expired

    const keys = await learned(prefillNode(prefix, 'fresh'));
    await waitFor(() => keys.length >= 1, 3_000, 'refusals on a fresh node');
    await settle(100);
    expect(keys).toEqual(['u1|hosted|claude']);
    expect(await admin.zrange(`${prefix}prefill-refused-index`, 0, -1)).toEqual(['u1|hosted|claude', '']);
    // The index member expires with its key: score = write time + TTL.
    const score = Number(await admin.zscore(`${prefix}prefill-refused-index`, 'u1|hosted|claude'));
    const pttl = await admin.pttl(`${prefix}prefill-refused:u1|hosted|claude`);
    expect(Math.abs(score - (Date.now() + pttl))).toBeLessThan(1_000);
  });

  it('with 20,000 unrelated keys in the same Redis, a starting node issues no SCAN', async () => {
    const prefix = testRedisPrefix('pfi');
    const dropUnrelated = await unrelatedKeys(prefix, 20_000);
    closers.push(dropUnrelated);
    const a = prefillNode(prefix, 'a');
    await settle(200);
    a.publish('u3|hosted|claude');
    await settle(100);
    const first = await learned(prefillNode(prefix, 'first')); // completes the index
    await waitFor(() => first.length >= 1, 3_000, 'refusals on the first node');

    const proxy = await countingProxy();
    const keys = await learned(prefillNode(prefix, 'b', { url: proxy.url }));
    await waitFor(() => keys.length >= 1, 3_000, 'refusals on node b');
    expect(keys).toEqual(['u3|hosted|claude']);
    expect(proxy.commands()).not.toContain('scan');
  });
});
