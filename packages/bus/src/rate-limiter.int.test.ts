import type { RateLimiter } from '@aisbf/core';
import { testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryRateLimiter } from './memory-rate-limiter';
import { createRedisRateLimiter } from './redis-rate-limiter';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const kinds: Array<{ name: string; pair(): [RateLimiter, RateLimiter] }> = [
  {
    name: 'memory',
    pair() {
      const limiter = createMemoryRateLimiter();
      closers.push(() => limiter.close());
      return [limiter, limiter];
    },
  },
  {
    name: 'redis (two nodes)',
    pair() {
      const prefix = testRedisPrefix('rl');
      const a = createRedisRateLimiter({ url: testRedisUrl(), prefix, name: 'test-rl-a' });
      const b = createRedisRateLimiter({ url: testRedisUrl(), prefix, name: 'test-rl-b' });
      closers.push(
        () => a.close(),
        () => b.close(),
      );
      return [a, b];
    },
  },
  {
    // As the data-plane role runs it, on one node (leases of up to a quarter of the limit here, so
    // these small limits are leased): a single node still admits exactly the limit.
    name: 'redis (one node, leased)',
    pair() {
      const limiter = createRedisRateLimiter({
        url: testRedisUrl(),
        prefix: testRedisPrefix('rl'),
        name: 'test-rl-leased',
        leases: { divisor: 4 },
      });
      closers.push(() => limiter.close());
      return [limiter, limiter];
    },
  },
];

describe.each(kinds)('rate limiter: $name', ({ pair }) => {
  it('N+k requests offered concurrently from two instances: exactly N pass', async () => {
    const [a, b] = pair();
    const limit = 40;
    const offered = 75;
    const decisions = await Promise.all(
      Array.from({ length: offered }, (_, i) => (i % 2 === 0 ? a : b).hit('token:t1', limit, 3600)),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(limit);
    const denied = decisions.filter((d) => !d.allowed);
    expect(denied).toHaveLength(offered - limit);
    for (const d of denied) {
      expect(d.remaining).toBe(0);
      expect(d.retryAfterS).toBeGreaterThanOrEqual(1);
      expect(d.retryAfterS).toBeLessThanOrEqual(3600);
    }
  });

  it('counts token amounts and keeps keys and windows apart', async () => {
    const [a, b] = pair();
    expect((await a.hit('user:u1:tpm', 1000, 3600, 700)).allowed).toBe(true);
    expect((await b.hit('user:u1:tpm', 1000, 3600, 400)).allowed).toBe(false); // would exceed
    const ok = await b.hit('user:u1:tpm', 1000, 3600, 300);
    expect(ok).toMatchObject({ allowed: true, remaining: 0 });
    expect((await a.hit('user:u1:tpm', 1000, 3600, 0)).allowed).toBe(false); // peek at the limit
    expect((await a.hit('user:u2:tpm', 1000, 3600, 900)).allowed).toBe(true); // other key
    expect((await a.hit('user:u1:tpm', 1000, 86400, 900)).allowed).toBe(true); // other window length
  });

  it('hitAll counts every hit or none, and names the first that refuses', async () => {
    const [a, b] = pair();
    const both = [
      { key: 'token:t2', limit: 2, windowS: 3600, amount: 1 },
      { key: 'user:u9', limit: 1, windowS: 3600, amount: 1 },
    ];
    expect(await a.hitAll(both)).toEqual({ allowed: true });
    expect(await b.hitAll(both)).toMatchObject({
      allowed: false,
      index: 1,
      decision: { allowed: false, limit: 1, remaining: 0 },
    });
    // The refused call counted nothing: token:t2 has one left.
    expect((await a.hit('token:t2', 2, 3600)).allowed).toBe(true);
    expect((await b.hit('token:t2', 2, 3600)).allowed).toBe(false);
    // A peek (amount 0) refuses at the limit, and the call's other hit is not counted either.
    await a.hit('tpm:user:u9', 50, 3600, 50);
    const peek = await b.hitAll([
      { key: 'token:t3', limit: 5, windowS: 3600, amount: 1 },
      { key: 'tpm:user:u9', limit: 50, windowS: 3600, amount: 0 },
    ]);
    expect(peek).toMatchObject({ allowed: false, index: 1 });
    expect((await a.hit('token:t3', 5, 3600, 5)).allowed).toBe(true);
  });

  it('hitAll offered concurrently passes exactly the smaller limit, and the larger counts only those', async () => {
    const [a, b] = pair();
    const verdicts = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 === 0 ? a : b).hitAll([
          { key: 'token:big', limit: 100, windowS: 3600, amount: 1 },
          { key: 'user:small', limit: 20, windowS: 3600, amount: 1 },
        ]),
      ),
    );
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(20);
    expect(verdicts.filter((v) => !v.allowed && v.index === 1)).toHaveLength(10);
    expect((await a.hit('token:big', 100, 3600, 80)).allowed).toBe(true);
    expect((await a.hit('token:big', 100, 3600, 1)).allowed).toBe(false);
  });
});

describe('memory rate limiter window', () => {
  it('opens a new window when the old one ends (fake clock)', async () => {
    let t = 120_000;
    const limiter = createMemoryRateLimiter({ now: () => t });
    expect((await limiter.hit('k', 2, 60)).allowed).toBe(true);
    expect((await limiter.hit('k', 2, 60)).allowed).toBe(true);
    const denied = await limiter.hit('k', 2, 60);
    t += 45_000;
    expect(denied).toMatchObject({ allowed: false, retryAfterS: 60 });
    expect((await limiter.hit('k', 2, 60)).retryAfterS).toBe(15);
    t += 15_000;
    expect((await limiter.hit('k', 2, 60)).allowed).toBe(true);
  });
});

describe('redis rate limiter while Redis is away', () => {
  it('falls back to a local count at once, and is exact again after', async () => {
    const { startTcpProxy } = await import('./test-support/tcp-proxy');
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(testRedisUrl()).port || 6379));
    const limiter = createRedisRateLimiter({
      url: `redis://127.0.0.1:${proxy.port}`,
      prefix: testRedisPrefix('rl'),
      name: 'test-rl-out',
    });
    closers.push(
      () => limiter.close(),
      () => proxy.close(),
    );
    expect((await limiter.hit('token:t', 3, 3600)).allowed).toBe(true);
    proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    const during = await Promise.all([1, 2, 3, 4].map(() => limiter.hit('token:t', 3, 3600)));
    expect(Date.now() - started).toBeLessThan(100);
    expect(during.filter((d) => d.allowed)).toHaveLength(3); // the local window starts empty
    proxy.restore();
    const { waitFor } = await import('./test-support/tcp-proxy');
    await waitFor(async () => (await limiter.hit('token:t', 3, 3600, 0)).remaining === 2, 5_000, 'redis count again');
  });
});
