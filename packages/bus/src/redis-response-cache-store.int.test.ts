import { testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import type { CachedAnswer } from '@aisbf/core';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisResponseCacheStore } from './redis-response-cache-store';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const store = (prefix: string) => {
  const s = createRedisResponseCacheStore({ url: testRedisUrl(), prefix });
  closers.push(() => s.close());
  return s;
};
const raw = () => {
  const r = new Redis(testRedisUrl());
  closers.push(async () => void r.disconnect());
  return r;
};

const answer: CachedAnswer = {
  v: 1,
  provider: 'p',
  providerOwnerId: null,
  model: 'm',
  body: '{"id":"x","choices":[]}',
  promptTokens: 3,
  completionTokens: 5,
  estimated: false,
  storedAt: 1,
};

describe('redis response cache store', () => {
  it('an entry written by one node is read by another, under the prefix, with a PX TTL', async () => {
    const prefix = testRedisPrefix('rcache');
    await store(prefix).set('k1', answer, 60_000);
    expect(await store(prefix).get('k1')).toEqual(answer);
    expect(await store(testRedisPrefix('other')).get('k1')).toBeNull();
    const ttl = await raw().pttl(`${prefix}rcache:k1`);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('expires entries', async () => {
    const prefix = testRedisPrefix('rcache');
    const s = store(prefix);
    await s.set('k', answer, 30);
    await new Promise((r) => setTimeout(r, 80));
    expect(await s.get('k')).toBeNull();
  });

  it('a value that is not a cached answer is a miss, never served', async () => {
    const prefix = testRedisPrefix('rcache');
    const r = raw();
    await r.set(`${prefix}rcache:bad-json`, '{nope', 'PX', 10_000);
    await r.set(`${prefix}rcache:bad-shape`, JSON.stringify({ ...answer, v: 2 }), 'PX', 10_000);
    const s = store(prefix);
    expect(await s.get('bad-json')).toBeNull();
    expect(await s.get('bad-shape')).toBeNull();
  });
});
