import { testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { createRedisResponseStore } from './redis-response-store';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

it('keeps a stored response per user, shared by every node, expiring after its TTL', async () => {
  const prefix = testRedisPrefix('resp-store');
  const nodeA = createRedisResponseStore({ url: testRedisUrl(), prefix, ttlS: 60 });
  const nodeB = createRedisResponseStore({ url: testRedisUrl(), prefix, ttlS: 60 });
  const raw = new Redis(testRedisUrl());
  closers.push(
    () => nodeA.close(),
    () => nodeB.close(),
    async () => void raw.disconnect(),
  );
  await nodeA.set('u-alice', 'resp_1', '{"v":1}');
  expect(await nodeB.get('u-alice', 'resp_1')).toBe('{"v":1}');
  expect(await nodeB.get('u-bob', 'resp_1')).toBeNull();
  expect(await nodeB.get('u-alice', 'resp_2')).toBeNull();
  const ttl = await raw.ttl(`${prefix}resp:u-alice:resp_1`);
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(60);
});
