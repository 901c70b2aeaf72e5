import { testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Bus } from './bus';
import { createMemoryBus } from './memory-bus';
import { createRedisBus } from './redis-bus';
import { waitFor } from './test-support/tcp-proxy';
import { defineTopic } from './topic';
import { configChangedTopic } from './topics';

const pingTopic = defineTopic('test.ping', z.object({ n: z.number().int() }));
const otherTopic = defineTopic('test.other', z.object({ s: z.string() }));

interface Transport {
  name: string;
  /** Two endpoints of the same bus (two processes for Redis, one shared bus in memory). */
  pair(): Promise<[Bus, Bus]>;
}

const open: Bus[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((bus) => bus.close()));
});

const transports: Transport[] = [
  {
    name: 'memory',
    async pair() {
      const bus = createMemoryBus();
      open.push(bus);
      return [bus, bus];
    },
  },
  {
    name: 'redis',
    async pair() {
      const prefix = testRedisPrefix('bus');
      const a = createRedisBus({ url: testRedisUrl(), prefix, name: 'test-a' });
      const b = createRedisBus({ url: testRedisUrl(), prefix, name: 'test-b' });
      open.push(a, b);
      await waitFor(() => a.connected() && b.connected(), 5_000, 'redis bus connected');
      return [a, b];
    },
  },
];

describe.each(transports)('bus conformance: $name', (transport) => {
  it('delivers to every subscriber in publish order', async () => {
    const [a, b] = await transport.pair();
    const seen1: number[] = [];
    const seen2: number[] = [];
    await b.subscribe(pingTopic, (m) => seen1.push(m.n));
    await b.subscribe(pingTopic, (m) => seen2.push(m.n));
    for (let n = 0; n < 50; n++) await a.publish(pingTopic, { n });
    await waitFor(() => seen1.length === 50 && seen2.length === 50, 3_000, 'all messages');
    expect(seen1).toEqual([...Array(50).keys()]);
    expect(seen2).toEqual(seen1);
  });

  it('keeps topics apart and stops after unsubscribe', async () => {
    const [a, b] = await transport.pair();
    const pings: number[] = [];
    const others: string[] = [];
    const off = await b.subscribe(pingTopic, (m) => pings.push(m.n));
    await b.subscribe(otherTopic, (m) => others.push(m.s));
    await a.publish(pingTopic, { n: 1 });
    await a.publish(otherTopic, { s: 'x' });
    await waitFor(() => pings.length === 1 && others.length === 1, 3_000, 'first round');
    await off();
    await a.publish(pingTopic, { n: 2 });
    await a.publish(otherTopic, { s: 'y' });
    await waitFor(() => others.length === 2, 3_000, 'second round');
    expect(pings).toEqual([1]);
    expect(others).toEqual(['x', 'y']);
  });

  it('rejects a message that does not match the topic schema at publish', async () => {
    const [a] = await transport.pair();
    await expect(a.publish(pingTopic, { n: 1.5 })).rejects.toThrow();
  });

  it('a throwing handler does not stop the others', async () => {
    const [a, b] = await transport.pair();
    const seen: number[] = [];
    await b.subscribe(pingTopic, () => {
      throw new Error('boom');
    });
    await b.subscribe(pingTopic, (m) => seen.push(m.n));
    await a.publish(pingTopic, { n: 7 });
    await waitFor(() => seen.length === 1, 3_000, 'delivery');
    expect(seen).toEqual([7]);
  });

  it('carries config changes unchanged', async () => {
    const [a, b] = await transport.pair();
    const seen: unknown[] = [];
    await b.subscribe(configChangedTopic, (m) => seen.push(m));
    const change = { version: 12, kind: 'rotation', id: 'coding', op: 'delete' } as const;
    await a.publish(configChangedTopic, change);
    await waitFor(() => seen.length === 1, 3_000, 'delivery');
    expect(seen).toEqual([change]);
  });
});

describe('redis bus edge', () => {
  it('drops foreign messages that are not valid JSON or fail the schema', async () => {
    const prefix = testRedisPrefix('bus');
    const errors: string[] = [];
    const bus = createRedisBus({
      url: testRedisUrl(),
      prefix,
      name: 'test-edge',
      onError: (_e, context) => errors.push(context),
    });
    open.push(bus);
    const seen: number[] = [];
    await bus.subscribe(pingTopic, (m) => seen.push(m.n));
    const raw = new Redis(testRedisUrl());
    try {
      await raw.publish(`${prefix}bus:test.ping`, 'not json');
      await raw.publish(`${prefix}bus:test.ping`, JSON.stringify({ n: 'seven' }));
      await raw.publish(`${prefix}bus:test.ping`, JSON.stringify({ n: 8 }));
    } finally {
      raw.disconnect();
    }
    await waitFor(() => seen.length === 1, 3_000, 'valid message');
    expect(seen).toEqual([8]);
    expect(errors).toHaveLength(2);
  });

  it('re-subscribes after its connections are killed and reports the loss', async () => {
    const prefix = testRedisPrefix('bus');
    const name = `test-kill-${Math.random().toString(36).slice(2, 8)}`;
    const a = createRedisBus({ url: testRedisUrl(), prefix, name });
    const b = createRedisBus({ url: testRedisUrl(), prefix, name: `${name}-other` });
    open.push(a, b);
    const states: boolean[] = [];
    a.onConnection((c) => states.push(c));
    const seen: number[] = [];
    await a.subscribe(pingTopic, (m) => seen.push(m.n));
    await waitFor(() => a.connected() && b.connected(), 5_000, 'connected');
    const admin = new Redis(testRedisUrl());
    try {
      const list = await admin.client('LIST');
      const ids = String(list)
        .split('\n')
        .filter((line) => line.includes(` name=${name}-sub `) || line.includes(` name=${name}-pub `))
        .map((line) => /id=(\d+)/.exec(line)?.[1]);
      expect(ids).toHaveLength(2);
      for (const id of ids) await admin.client('KILL', 'ID', String(id));
    } finally {
      admin.disconnect();
    }
    await waitFor(() => states.includes(false), 3_000, 'loss reported');
    await waitFor(() => a.connected(), 5_000, 'reconnected');
    await b.publish(pingTopic, { n: 99 });
    await waitFor(() => seen.includes(99), 3_000, 'message after reconnect');
    expect(states.at(-1)).toBe(true);
  });
});
