import { testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisSessionStore } from './redis-session-store';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const store = (prefix: string, now?: () => number) => {
  const s = createRedisSessionStore({ url: testRedisUrl(), prefix, now });
  closers.push(() => s.close());
  return s;
};

describe('redis session store', () => {
  it('a session created on one replica is seen by another, and deleted everywhere', async () => {
    const prefix = testRedisPrefix('sess');
    const a = store(prefix);
    const b = store(prefix);
    const id = await a.create('u1', 60_000);
    expect(id.length).toBeGreaterThanOrEqual(43); // 256 bits
    expect(await b.get(id)).toMatchObject({ userId: 'u1' });
    await b.delete(id);
    expect(await a.get(id)).toBeNull();
  });

  it('ends every session of a user, and only theirs', async () => {
    const prefix = testRedisPrefix('sess');
    const s = store(prefix);
    const u1a = await s.create('u1', 60_000);
    const u1b = await s.create('u1', 60_000);
    const u2 = await s.create('u2', 60_000);
    await s.deleteForUser('u1');
    expect(await s.get(u1a)).toBeNull();
    expect(await s.get(u1b)).toBeNull();
    expect(await s.get(u2)).toMatchObject({ userId: 'u2' });
  });

  it('expires sessions, and keeps no cookie value in Redis', async () => {
    const prefix = testRedisPrefix('sess');
    const s = store(prefix);
    const id = await s.create('u1', 150);
    expect(await s.get(id)).not.toBeNull();
    const raw = new Redis(testRedisUrl());
    try {
      const keys = await raw.keys(`${prefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.some((k) => k.includes(id))).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(await s.get(id)).toBeNull();
      expect(await raw.exists(...keys.filter((k) => k.includes(':session:')))).toBe(0);
    } finally {
      raw.disconnect();
    }
  });
});
