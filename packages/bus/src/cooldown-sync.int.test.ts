import { testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisCooldownSync } from './redis-cooldown-sync';
import { startTcpProxy, waitFor } from './test-support/tcp-proxy';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const node = (prefix: string, nodeId: string, url = testRedisUrl()) => {
  const sync = createRedisCooldownSync({ url, prefix, nodeId, name: `test-cd-${nodeId}` });
  closers.push(() => sync.close());
  return sync;
};

describe('redis cooldown sync', () => {
  it('a cooldown opened on node A reaches node B, not A itself', async () => {
    const prefix = testRedisPrefix('cd');
    const a = node(prefix, 'a');
    const b = node(prefix, 'b');
    const seenA: string[] = [];
    const seenB: Array<[string, number]> = [];
    a.subscribe((key) => seenA.push(key));
    b.subscribe((key, until) => seenB.push([key, until]));
    await new Promise((resolve) => setTimeout(resolve, 200)); // both subscribed
    const until = Date.now() + 30_000;
    a.publish('lan-broker/llama', until);
    await waitFor(() => seenB.length === 1, 3_000, 'announcement on B');
    expect(seenB).toEqual([['lan-broker/llama', until]]);
    expect(seenA).toEqual([]);
  });

  it('a close from a successful probe reaches the other nodes and removes the open cooldown for late nodes', async () => {
    const prefix = testRedisPrefix('cd');
    const a = node(prefix, 'a');
    const b = node(prefix, 'b');
    const closes: Array<[string, number]> = [];
    b.subscribe(
      () => undefined,
      (key, at) => closes.push([key, at]),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    a.publish('lan/m1', Date.now() + 30_000);
    a.publish('lan/m2', Date.now() + 30_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const probeSentAt = Date.now();
    b.publishClose('lan/m1', probeSentAt);
    // A success sent before the cooldown opened says nothing about it: m2 stays open.
    b.publishClose('lan/m2', probeSentAt - 60_000);
    const seenOnA: Array<[string, number]> = [];
    a.subscribe(
      () => undefined,
      (key, at) => seenOnA.push([key, at]),
    );
    await waitFor(() => seenOnA.length === 2, 3_000, 'closes on A');
    expect(seenOnA).toEqual([
      ['lan/m1', probeSentAt],
      ['lan/m2', probeSentAt - 60_000],
    ]);
    expect(closes).toEqual([]); // its own closes are not echoed back
    const late = node(prefix, 'late');
    const open: string[] = [];
    late.subscribe((key) => open.push(key));
    await waitFor(() => open.length >= 1, 3_000, 'open cooldowns read by a late node');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(open).toEqual(['lan/m2']);
  });

  it('a node that starts later learns the cooldowns still open, not the expired ones', async () => {
    const prefix = testRedisPrefix('cd');
    const a = node(prefix, 'a');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const until = Date.now() + 30_000;
    a.publish('runpod/qwen', until);
    a.publish('short/model', Date.now() + 150);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const c = node(prefix, 'c');
    const seen: Array<[string, number]> = [];
    await new Promise((resolve) => setTimeout(resolve, 200));
    c.subscribe((key, u) => seen.push([key, u]));
    await waitFor(() => seen.length >= 1, 3_000, 'open cooldowns');
    expect(seen).toEqual([['runpod/qwen', until]]);
  });

  it('keeps a later end when two nodes open the same cooldown', async () => {
    const prefix = testRedisPrefix('cd');
    const a = node(prefix, 'a');
    const b = node(prefix, 'b');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const later = Date.now() + 60_000;
    a.publish('p/m', later);
    await new Promise((resolve) => setTimeout(resolve, 100));
    b.publish('p/m', Date.now() + 10_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const c = node(prefix, 'c');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const seen: number[] = [];
    c.subscribe((_key, u) => seen.push(u));
    await waitFor(() => seen.length === 1, 3_000, 'open cooldown');
    expect(seen).toEqual([later]);
  });

  it('one node holds an entry’s probe claim for its cooldown; the close of a successful probe frees it', async () => {
    const prefix = testRedisPrefix('cd');
    const a = node(prefix, 'a');
    const b = node(prefix, 'b');
    await new Promise((resolve) => setTimeout(resolve, 200)); // both connected
    expect(await a.claimProbe!('lan/m', 5_000)).toEqual({ claimed: true });
    const other = await b.claimProbe!('lan/m', 5_000);
    expect(other.claimed).toBe(false);
    expect(other.claimed === false && other.heldForMs > 4_000 && other.heldForMs <= 5_000).toBe(true);
    // The holder may claim again (its own probe was cancelled and the next request probes).
    expect(await a.claimProbe!('lan/m', 5_000)).toEqual({ claimed: true });
    // Another entry is claimed on its own.
    expect(await b.claimProbe!('lan/other', 5_000)).toEqual({ claimed: true });
    // A's probe succeeded: the cooldown and the claim are gone, the next cooldown gets its own probe.
    a.publish('lan/m', Date.now() + 30_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    a.publishClose('lan/m', Date.now());
    await waitFor(async () => (await b.claimProbe!('lan/m', 5_000)).claimed, 3_000, 'claim freed by the close');
  });

  it('a cooldown opened while Redis is away is announced once it is back', async () => {
    const prefix = testRedisPrefix('cd');
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(testRedisUrl()).port || 6379));
    closers.push(() => proxy.close());
    const a = node(prefix, 'a', `redis://127.0.0.1:${proxy.port}`);
    const b = node(prefix, 'b');
    const seen: string[] = [];
    b.subscribe((key) => seen.push(key));
    await new Promise((resolve) => setTimeout(resolve, 200));
    proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, 100));
    a.publish('offline/model', Date.now() + 30_000); // must neither throw nor block
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen).toEqual([]);
    proxy.restore();
    await waitFor(() => seen.includes('offline/model'), 5_000, 'late announcement');
  });
});
