import type { RequestSpacer } from '@aisbf/core';
import { testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryRequestSpacer } from './memory-request-spacer';
import { createRedisRequestSpacer } from './redis-request-spacer';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** The same conformance tests for both twins (docs/context.md "Rate limit"). */
const kinds: Array<{ name: string; pair(prefix: string): [RequestSpacer, RequestSpacer] }> = [
  {
    name: 'memory',
    pair() {
      const spacer = createMemoryRequestSpacer();
      closers.push(() => spacer.close());
      return [spacer, spacer];
    },
  },
  {
    name: 'redis (two nodes)',
    pair(prefix) {
      const a = createRedisRequestSpacer({ url: testRedisUrl(), prefix, name: 'test-space-a' });
      const b = createRedisRequestSpacer({ url: testRedisUrl(), prefix, name: 'test-space-b' });
      closers.push(
        () => a.close(),
        () => b.close(),
      );
      return [a, b];
    },
  },
];

describe.each(kinds)('request spacer: $name', ({ pair }) => {
  it('30 claims offered at once from two instances: exactly one passes, the rest learn the wait', async () => {
    const [a, b] = pair(testRedisPrefix('space'));
    const claims = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).claim('p|model', 10_000)),
    );
    expect(claims.filter((c) => c.claimed)).toHaveLength(1);
    for (const c of claims.filter((c) => !c.claimed)) {
      const waitMs = (c as { waitMs: number }).waitMs;
      expect(waitMs).toBeGreaterThan(9_000);
      expect(waitMs).toBeLessThanOrEqual(10_000);
    }
  });

  it('opens the next slot one interval later, and keeps keys apart', async () => {
    const [a, b] = pair(testRedisPrefix('space'));
    expect(await a.claim('k1', 300)).toEqual({ claimed: true });
    expect((await b.claim('k1', 300)).claimed).toBe(false);
    expect(await b.claim('k2', 300)).toEqual({ claimed: true }); // another key
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await b.claim('k1', 300)).toEqual({ claimed: true });
    expect((await a.claim('k1', 300)).claimed).toBe(false);
  });

  it('a refused claim takes nothing: the slot opens when the first claim said', async () => {
    const [a, b] = pair(testRedisPrefix('space'));
    expect(await a.claim('k', 400)).toEqual({ claimed: true });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const refused = await b.claim('k', 400);
    expect(refused.claimed).toBe(false);
    // Measured from the first claim (about 200 ms left), not pushed back by the refused one.
    expect((refused as { waitMs: number }).waitMs).toBeLessThanOrEqual(220);
  });
});

describe('redis request spacer', () => {
  it('keeps nothing once a slot is open again (the key expires with the interval)', async () => {
    const prefix = testRedisPrefix('space');
    const spacer = createRedisRequestSpacer({ url: testRedisUrl(), prefix, name: 'test-space-ttl' });
    const raw = new Redis(testRedisUrl());
    closers.push(
      () => spacer.close(),
      async () => void raw.disconnect(),
    );
    await spacer.claim('p|m', 5_000);
    const ttl = await raw.pttl(`${prefix}space:p|m`);
    expect(ttl).toBeGreaterThan(4_000);
    expect(ttl).toBeLessThanOrEqual(5_000);
  });
});

describe('memory request spacer', () => {
  it('follows its clock (fake clock)', async () => {
    let t = 1_000;
    const spacer = createMemoryRequestSpacer({ now: () => t });
    expect(await spacer.claim('k', 2_000)).toEqual({ claimed: true });
    t += 500;
    expect(await spacer.claim('k', 2_000)).toEqual({ claimed: false, waitMs: 1_500 });
    t += 1_500;
    expect(await spacer.claim('k', 2_000)).toEqual({ claimed: true });
  });
});
