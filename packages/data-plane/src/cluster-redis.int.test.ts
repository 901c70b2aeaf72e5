import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisCooldownSync, createRedisRateLimiter } from '@aisbf/bus';
import type { CooldownSync } from '@aisbf/core';
import { createSecretBox } from '@aisbf/secrets';
import { testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { createDataPlane, type DataPlane } from './create-data-plane';
import { post, startHarness, type Harness } from './test-harness';

/**
 * A node's cooldown sync that also tells the test what it delivered to the node (after the node
 * applied it), so a test waits for the announcement itself rather than polling with requests
 * against a deadline that a loaded machine overruns.
 */
function observed(sync: CooldownSync): {
  sync: CooldownSync;
  heard(kind: 'open' | 'close', key: string): Promise<void>;
} {
  const seen = new Set<string>();
  const waiters = new Map<string, () => void>();
  const note = (kind: string, key: string): void => {
    seen.add(`${kind} ${key}`);
    waiters.get(`${kind} ${key}`)?.();
  };
  return {
    sync: {
      ...sync,
      subscribe: (onOpen, onClose) =>
        sync.subscribe(
          (key, until) => {
            onOpen(key, until);
            note('open', key);
          },
          (key, at) => {
            onClose?.(key, at);
            note('close', key);
          },
        ),
    },
    heard: (kind, key) =>
      seen.has(`${kind} ${key}`) ? Promise.resolve() : new Promise((resolve) => waiters.set(`${kind} ${key}`, resolve)),
  };
}

/** Cluster behaviour on the real Redis: cooldowns opened on one node are skipped by another. */
describe('data planes sharing Redis', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  const chat = { messages: [{ role: 'user', content: 'x' }] };

  /** The cooldown key of a provider's m1 (scope|provider|model, snapshot-index.ts). */
  const targetKey = (h: Harness, providerId: string): string =>
    `${h.snapshot.providers.find((p) => p.id === providerId)!.ownerId ?? '*'}|${providerId}|m1`;

  async function secondNode(
    h: Harness,
    prefix: string,
  ): Promise<{ url: string; plane: DataPlane; heard: ReturnType<typeof observed>['heard'] }> {
    const sync = createRedisCooldownSync({ url: testRedisUrl(), prefix, nodeId: 'node-2' });
    const watched = observed(sync);
    const plane = createDataPlane({
      secretBox: createSecretBox('harness-secret'),
      usageSink: { emit: () => undefined, flush: async () => undefined, close: async () => undefined },
      logger: pino({ level: 'silent' }),
      cooldownSync: watched.sync,
    });
    plane.setSnapshot(h.snapshot);
    const server: Server = createServer((req, res) => void plane.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await plane.close();
      await sync.close();
    });
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, plane, heard: watched.heard };
  }

  it('a cooldown opened on node 1 is skipped by node 2', async () => {
    const prefix = testRedisPrefix('dp-cool');
    const sync1 = createRedisCooldownSync({ url: testRedisUrl(), prefix, nodeId: 'node-1' });
    const h = await startHarness({
      providers: [{ id: 'a' }, { id: 'b' }],
      rotations: [
        {
          id: 'r',
          config: {
            providers: [
              { provider_id: 'a', model: 'm1', weight: 2 },
              { provider_id: 'b', model: 'm1', weight: 1 },
            ],
          },
        },
      ],
      deps: { cooldownSync: sync1 },
    });
    cleanup.push(async () => {
      await h.close();
      await sync1.close();
    });
    const node2 = await secondNode(h, prefix);
    h.mocks['a']!.enqueue({ kind: 'rate-limit', retryAfterS: 60 });
    expect(
      (await post(`${h.v1}/chat/completions`, h.tokens.alice, { model: 'r', ...chat })).headers.get('x-aisbf-provider'),
    ).toBe('b');
    // Node 2 hears of it through Redis (pub/sub), node 3 that starts later reads it on subscribe;
    // once heard, its very next request skips a.
    const skipsA = async (url: string): Promise<boolean> => {
      const before = h.mocks['a']!.requests.length;
      const res = await post(`${url}/chat/completions`, h.tokens.alice, { model: 'r', ...chat });
      return res.headers.get('x-aisbf-provider') === 'b' && h.mocks['a']!.requests.length === before;
    };
    const key = targetKey(h, 'a');
    await node2.heard('open', key);
    expect(await skipsA(node2.url)).toBe(true);
    const node3 = await secondNode(h, prefix);
    await node3.heard('open', key);
    expect(await skipsA(node3.url)).toBe(true);
    // Once skipped, it stays skipped (no flapping back to a within the cooldown).
    for (let i = 0; i < 3; i++) expect(await skipsA(node2.url)).toBe(true);
  });

  it('a probe that succeeds on node 1 closes the cooldown on node 2 at once, not one cooldown later', async () => {
    const prefix = testRedisPrefix('dp-close');
    const sync1 = createRedisCooldownSync({ url: testRedisUrl(), prefix, nodeId: 'node-1' });
    const pair = [
      { provider_id: 'a', model: 'm1', weight: 2 },
      { provider_id: 'b', model: 'm1', weight: 1 },
    ];
    const h = await startHarness({
      providers: [{ id: 'a' }, { id: 'b' }],
      rotations: [
        { id: 'r', config: { providers: pair } },
        // The same entry alone: when it cools, its one earliest-recovery try is a probe.
        { id: 'solo', config: { providers: [pair[0]!] } },
      ],
      deps: { cooldownSync: sync1 },
    });
    cleanup.push(async () => {
      await h.close();
      await sync1.close();
    });
    const node2 = await secondNode(h, prefix);
    const servedBy = async (url: string, model: string): Promise<string | null> =>
      (await post(`${url}/chat/completions`, h.tokens.alice, { model, ...chat })).headers.get('x-aisbf-provider');
    // A 429 without Retry-After cools a for its error_cooldown (60 s) on every node.
    h.mocks['a']!.enqueue({ kind: 'rate-limit' });
    expect(await servedBy(h.v1, 'r')).toBe('b');
    await node2.heard('open', targetKey(h, 'a'));
    expect(await servedBy(node2.url, 'r')).toBe('b');
    // Node 1 probes a (its only entry) and a answers: closed here, and announced.
    expect(await servedBy(h.v1, 'solo')).toBe('a');
    await node2.heard('close', targetKey(h, 'a'));
    expect(await servedBy(node2.url, 'r')).toBe('a');
  });

  it('during an outage one probe per cooldown reaches the backend from the whole cluster, not one per node', async () => {
    const prefix = testRedisPrefix('dp-probe');
    const sync1 = createRedisCooldownSync({ url: testRedisUrl(), prefix, nodeId: 'node-1' });
    const cooldownMs = 500;
    const h = await startHarness({
      providers: [{ id: 'a' }, { id: 'b' }],
      rotations: [
        {
          id: 'r',
          config: {
            providers: [
              { provider_id: 'a', model: 'm1', weight: 2, error_cooldown: cooldownMs / 1000 },
              { provider_id: 'b', model: 'm1', weight: 1 },
            ],
          },
        },
      ],
      deps: { cooldownSync: sync1 },
    });
    cleanup.push(async () => {
      await h.close();
      await sync1.close();
    });
    const node2 = await secondNode(h, prefix);
    const a = h.mocks['a']!;
    // a is down: each request it gets is a 429 without Retry-After, which opens its cooldown at once.
    a.setDefault({ kind: 'rate-limit' });
    const servedBy = async (url: string): Promise<string | null> => {
      const res = await post(`${url}/chat/completions`, h.tokens.alice, { model: 'r', ...chat });
      expect(res.status).toBe(200);
      return res.headers.get('x-aisbf-provider');
    };
    expect(await servedBy(h.v1)).toBe('b');
    await expect.poll(() => servedBy(node2.url), { timeout: 3000, interval: 20 }).toBe('b');
    const before = a.requests.length;
    // Two clients per node keep both nodes busy for five cooldowns.
    const until = Date.now() + 5 * cooldownMs;
    const client = async (url: string): Promise<void> => {
      while (Date.now() < until) {
        await servedBy(url);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    await Promise.all([client(h.v1), client(h.v1), client(node2.url), client(node2.url)]);
    const probes = a.requests.slice(before).map((r) => r.at);
    // The nodes did probe (half-open works)…
    expect(probes.length).toBeGreaterThanOrEqual(2);
    // …and each cooldown window got exactly one probe from the two nodes together.
    const gaps = probes.slice(1).map((at, i) => at - probes[i]!);
    expect(Math.min(...gaps), `probe arrivals ${JSON.stringify(probes)}`).toBeGreaterThanOrEqual(cooldownMs - 50);
    expect(probes.length).toBeLessThanOrEqual(6);
  });

  it('token rate limits are counted in Redis', async () => {
    const prefix = testRedisPrefix('dp-rate');
    const limiter = createRedisRateLimiter({ url: testRedisUrl(), prefix });
    const h = await startHarness({
      providers: [{ id: 'p' }],
      aliceTokenLimits: { requestsPerMinute: 2 },
      deps: { rateLimiter: limiter },
    });
    cleanup.push(async () => {
      await h.close();
      await limiter.close();
    });
    const body = { model: 'user-provider/p/m1', ...chat };
    expect((await post(`${h.v1}/chat/completions`, h.tokens.alice, body)).status).toBe(200);
    expect((await post(`${h.v1}/chat/completions`, h.tokens.alice, body)).status).toBe(200);
    const third = await post(`${h.v1}/chat/completions`, h.tokens.alice, body);
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(JSON.parse(third.text)).toMatchObject({ error: { code: 'rate_limit_exceeded', type: 'rate_limit_error' } });
  });

  it('tokens per minute spent on one node are refused on another (counted in Redis from usage)', async () => {
    const prefix = testRedisPrefix('dp-tpm');
    const limiter = createRedisRateLimiter({ url: testRedisUrl(), prefix });
    const h = await startHarness({
      providers: [{ id: 'p' }],
      aliceTokenLimits: { tokensPerMinute: 5 },
      deps: { rateLimiter: limiter },
    });
    const otherLimiter = createRedisRateLimiter({ url: testRedisUrl(), prefix });
    const plane = createDataPlane({
      secretBox: createSecretBox('harness-secret'),
      usageSink: { emit: () => undefined, flush: async () => undefined, close: async () => undefined },
      logger: pino({ level: 'silent' }),
      rateLimiter: otherLimiter,
    });
    plane.setSnapshot(h.snapshot);
    const server: Server = createServer((req, res) => void plane.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await plane.close();
      await h.close();
      await Promise.all([limiter.close(), otherLimiter.close()]);
    });
    const node2 = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    const body = { model: 'user-provider/p/m1', ...chat };
    // Node 2 has spent nothing yet: the window is below the limit.
    const served = await post(`${node2}/chat/completions`, h.tokens.alice, body);
    expect(served.status).toBe(200);
    const used = (JSON.parse(served.text) as { usage: { total_tokens: number } }).usage.total_tokens;
    expect(used).toBeGreaterThanOrEqual(5);
    // What node 2 accounted (after its answer) closes the window for node 1 too.
    await expect.poll(async () => (await post(`${h.v1}/chat/completions`, h.tokens.alice, body)).status).toBe(429);
    const refused = await post(`${h.v1}/chat/completions`, h.tokens.alice, body);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(JSON.parse(refused.text)).toMatchObject({
      error: { code: 'rate_limit_exceeded', message: expect.stringMatching(/5 tokens per minute/) },
    });
  });
});
