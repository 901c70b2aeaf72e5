import { afterEach, describe, expect, it } from 'vitest';
import { testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { createRedisBudgetLedger } from './redis-budget-ledger';
import { closeClient, createRedisClient } from './redis-client';
import { createRedisRateLimiter } from './redis-rate-limiter';
import { startTcpProxy, waitFor } from './test-support/tcp-proxy';

// The lease promises of docs/cluster.md "Leases": never more than the limit across nodes, at most
// each other node's unused slices fewer while they hold them, and all of it once they hand them back.
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const DIVISOR = 64;
const IDLE_MS = 150;

function limiters(prefix: string, count: number, url = testRedisUrl()) {
  return Array.from({ length: count }, (_, i) => {
    const limiter = createRedisRateLimiter({
      url,
      prefix,
      name: `test-lease-rl-${i}`,
      leases: { divisor: DIVISOR, idleMs: IDLE_MS },
      whenUnavailable: 'reject',
    });
    closers.push(() => limiter.close());
    return limiter;
  });
}

const redisCounter = async (pattern: string): Promise<number> => {
  const client = createRedisClient({ url: testRedisUrl(), name: 'test-lease-read' });
  try {
    const keys = await client.keys(pattern);
    expect(keys).toHaveLength(1);
    return Number(await client.get(keys[0]!));
  } finally {
    await closeClient(client);
  }
};

describe('rate limiter leases', () => {
  it('three nodes offered 3x the limit at once never pass more than it, and pass all of it once the slices come back', async () => {
    const prefix = testRedisPrefix('lease-rl');
    const nodes = limiters(prefix, 3);
    const limit = 6_400; // leases of up to 100
    const decisions = await Promise.all(
      Array.from({ length: 3 * limit }, (_, i) => nodes[i % 3]!.hit('token:t', limit, 3600)),
    );
    const passed = decisions.filter((d) => d.allowed).length;
    expect(passed).toBeLessThanOrEqual(limit);
    // The bound docs/cluster.md states: each of the other nodes may hold up to two leases' worth.
    expect(passed).toBeGreaterThanOrEqual(limit - 2 * 2 * (limit / DIVISOR));
    // Idle slices go back; what was refused meanwhile then passes, exactly up to the limit. One node
    // takes the rest: its own slice never refuses it early (alternating nodes, another's fresh slice
    // may refuse one early, within the bound above).
    await waitFor(async () => (await redisCounter(`${prefix}rl:3600:token:t:*`)) === passed, 5_000, 'slices returned');
    let more = 0;
    for (let i = 0; i < limit; i++) {
      if (!(await nodes[0]!.hit('token:t', limit, 3600)).allowed) break;
      more++;
    }
    expect(passed + more).toBe(limit);
    expect((await nodes[0]!.hit('token:t', limit, 3600)).allowed).toBe(false);
  });

  it('admits from its lease without Redis: hits pass while the connection is cut, and the slow path then fails', async () => {
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(testRedisUrl()).port || 6379));
    closers.push(() => proxy.close());
    const [node] = limiters(testRedisPrefix('lease-cut'), 1, `redis://127.0.0.1:${proxy.port}`);
    const limit = 64_000; // leases of up to 1,000; the first claim takes 4
    expect((await node!.hit('token:t', limit, 3600)).allowed).toBe(true);
    proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const during = await Promise.allSettled(Array.from({ length: 6 }, () => node!.hit('token:t', limit, 3600)));
    // The first claim's four spare units pass locally; past them the node must ask Redis, which is away.
    expect(during.filter((d) => d.status === 'fulfilled' && d.value.allowed)).toHaveLength(4);
    expect(during.filter((d) => d.status === 'rejected')).toHaveLength(2);
    proxy.restore();
  });

  it('a lease ends with its window: the next window starts from Redis, not from the old slice', async () => {
    const prefix = testRedisPrefix('lease-window');
    const [node] = limiters(prefix, 1);
    const limit = 640; // leases of up to 10
    // Align to the start of a fresh 2 s window, so the whole burst lands in one.
    await new Promise((resolve) => setTimeout(resolve, 2_000 - (Date.now() % 2_000) + 20));
    let passed = 0;
    for (let i = 0; i < limit + 5; i++) if ((await node!.hit('k', limit, 2)).allowed) passed++;
    expect(passed).toBe(limit);
    await new Promise((resolve) => setTimeout(resolve, 2_000 - (Date.now() % 2_000) + 20));
    expect((await node!.hit('k', limit, 2)).allowed).toBe(true);
  });

  it('charges tokens from the lease and peeks on it: the window holds exactly what was charged', async () => {
    const prefix = testRedisPrefix('lease-tpm');
    const [node] = limiters(prefix, 1);
    const limit = 64_000;
    expect((await node!.hit('tpm:token:t', limit, 3600, 0)).allowed).toBe(true);
    for (let i = 0; i < 10; i++) await node!.hit('tpm:token:t', Number.MAX_SAFE_INTEGER, 3600, 700);
    expect((await node!.hit('tpm:token:t', limit, 3600, 0)).allowed).toBe(true);
    await node!.close();
    // Closing hands the unused slice back: the counter is exactly the 7,000 charged.
    expect(await redisCounter(`${prefix}rl:3600:tpm:token:t:*`)).toBe(7_000);
  });
});

describe('budget ledger leases', () => {
  const resetAt = Date.now() + 3_600_000;
  const line = (key: string, limit: number, amount: number) => ({ key, limit, amount, resetAt });

  it('two nodes never reserve more than the limit together, and reserve all of it once the slices come back', async () => {
    const prefix = testRedisPrefix('lease-budget');
    const nodes = [0, 1].map(() => {
      const ledger = createRedisBudgetLedger({
        url: testRedisUrl(),
        prefix,
        leases: { divisor: DIVISOR, idleMs: IDLE_MS },
      });
      closers.push(() => ledger.close());
      return ledger;
    });
    const limit = 12_800; // leases of up to 200
    const verdicts = await Promise.all(
      Array.from({ length: 2 * limit }, (_, i) => nodes[i % 2]!.reserve([line('req', limit, 1), line('tok', 1e9, 50)])),
    );
    const passed = verdicts.filter((v) => v.allowed).length;
    expect(passed).toBeLessThanOrEqual(limit);
    expect(passed).toBeGreaterThanOrEqual(limit - 2 * (limit / DIVISOR));
    await waitFor(async () => (await nodes[0]!.used('req')) === passed, 5_000, 'slices returned');
    // One node from here: its own slice never refuses it early, so it takes exactly what is left
    // (alternating would let the other node's fresh slice refuse one early, as documented).
    let more = 0;
    for (let i = 0; i < limit; i++) {
      if (!(await nodes[0]!.reserve([line('req', limit, 1)])).allowed) break;
      more++;
    }
    expect(passed + more).toBe(limit);
  });

  it('decides from its leases at once: no promise when no line needs Redis, one when a line does', async () => {
    const prefix = testRedisPrefix('lease-sync');
    const ledger = createRedisBudgetLedger({ url: testRedisUrl(), prefix, leases: { divisor: DIVISOR } });
    closers.push(() => ledger.close());
    const limit = 1_000_000;
    // The first reservation claims the leases from Redis; the next ones are taken from them.
    expect(ledger.reserve([line('req', limit, 1), line('tok', limit, 10)])).toBeInstanceOf(Promise);
    expect(await ledger.reserve([line('req', limit, 1), line('tok', limit, 10)])).toEqual({ allowed: true });
    expect(ledger.reserve([line('req', limit, 1), line('tok', limit, 10)])).toEqual({ allowed: true });
    // Settled within what the lease holds: nothing to write.
    expect(ledger.settle([{ key: 'tok', delta: -5, resetAt }])).toBeUndefined();
    // A counter with no lease yet goes to Redis.
    const slow = ledger.reserve([line('req', limit, 1), line('other', limit, 10)]);
    expect(slow).toBeInstanceOf(Promise);
    expect(await slow).toEqual({ allowed: true });
    expect(await ledger.used('req')).toBe(4);
    expect(await ledger.used('tok')).toBe(25);
  });

  it('settles into the lease and hands every unused unit back on close: Redis holds exactly what was used', async () => {
    const prefix = testRedisPrefix('lease-settle');
    const ledger = createRedisBudgetLedger({ url: testRedisUrl(), prefix, leases: { divisor: DIVISOR } });
    const limit = 1_000_000;
    for (let i = 0; i < 20; i++) {
      expect(await ledger.reserve([line('cost', limit, 300)])).toEqual({ allowed: true });
      await ledger.settle([{ key: 'cost', delta: i % 2 === 0 ? -200 : 500, resetAt }]);
    }
    const used = 20 * 300 + 10 * -200 + 10 * 500;
    expect(await ledger.used('cost')).toBe(used);
    await ledger.close();
    const client = createRedisClient({ url: testRedisUrl(), name: 'test-lease-read' });
    closers.push(() => closeClient(client));
    expect(Number(await client.get(`${prefix}cost`))).toBe(used);
  });
});
