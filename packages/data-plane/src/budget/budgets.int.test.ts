import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeRedisClient,
  createMemoryBudgetLedger,
  createMemoryRateLimiter,
  createRedisBudgetLedger,
  createRedisClient,
  createRedisRateLimiter,
} from '@aisbf/bus';
import { budgetWindow, type BudgetLedger, type RateLimiter } from '@aisbf/core';
import { createSecretBox } from '@aisbf/secrets';
import { testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { createDataPlane } from '../create-data-plane';
import { post, startHarness, USERS, type Harness } from '../test-harness';

const chat = { model: 'user-provider/p/m1', messages: [{ role: 'user', content: 'hello there' }] };
const priced = { name: 'm1', pricing: { prompt: 1000, completion: 2000 } };

describe('quotas and budgets (docs/usage.md)', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function harness(
    ledger: BudgetLedger,
    options: Omit<Parameters<typeof startHarness>[0], 'deps'>,
    rateLimiter?: RateLimiter,
  ): Promise<Harness> {
    const h = await startHarness({
      ...options,
      deps: { budgetLedger: ledger, ...(rateLimiter === undefined ? {} : { rateLimiter }) },
    });
    cleanup.push(async () => {
      await h.close();
      await ledger.close();
    });
    return h;
  }

  it('50 concurrent requests against a budget of 10 let exactly 10 through across two nodes sharing Redis', async () => {
    const prefix = testRedisPrefix('dp-budget');
    const h = await harness(createRedisBudgetLedger({ url: testRedisUrl(), prefix }), {
      providers: [{ id: 'p' }],
      aliceTokenLimits: { requestsPerDay: 10 },
    });
    const ledger2 = createRedisBudgetLedger({ url: testRedisUrl(), prefix });
    const plane2 = createDataPlane({
      secretBox: createSecretBox('harness-secret'),
      usageSink: { emit: () => undefined, flush: async () => undefined, close: async () => undefined },
      logger: pino({ level: 'silent' }),
      budgetLedger: ledger2,
    });
    plane2.setSnapshot(h.snapshot);
    const server: Server = createServer((req, res) => void plane2.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await plane2.close();
      await ledger2.close();
    });
    const node2 = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        post(`${i % 2 === 0 ? h.v1 : node2}/chat/completions`, h.tokens.alice, chat),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(40);
    expect(h.mocks['p']!.requests).toHaveLength(10);
    const refused = results.find((r) => r.status === 429)!;
    const error = JSON.parse(refused.text) as { error: { message: string; type: string; code: string } };
    expect(error.error).toMatchObject({ type: 'rate_limit_error', code: 'quota_exceeded' });
    const reset = new Date(budgetWindow('day', Date.now()).resetAt).toISOString();
    expect(error.error.message).toContain(
      `daily quota of 10 requests for this API token is used up; it resets at ${reset}`,
    );
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // The budget is the calling token's: an admin token without limits still calls alice's route.
    expect((await post(`${node2.replace('/v1', '/api/u/alice')}/chat/completions`, h.tokens.root, chat)).status).toBe(
      200,
    );
  });

  it('a spent cost budget is 402 budget_exceeded; settlement books the real cost', async () => {
    const ledger = createMemoryBudgetLedger();
    const h = await harness(ledger, {
      providers: [{ id: 'p', models: [priced] }],
      aliceTokenLimits: { costMicrosPerMonth: 30_000 },
    });
    const first = await post(`${h.v1}/chat/completions`, h.tokens.alice, chat);
    expect(first.status).toBe(200);
    const event = h.events.at(-1)!;
    const cost = event.costMicros!;
    expect(cost).toBeGreaterThan(0);
    const key = `b:{${USERS.alice.id}}:token:t-alice:cost:${budgetWindow('month', Date.now()).id}`;
    // The reservation (prompt estimate, no max_tokens) was corrected to the real cost.
    await expect.poll(() => ledger.used(key)).toBe(cost);
    let spent = cost;
    let last = first;
    for (let i = 0; i < 100 && last.status === 200; i++) {
      last = await post(`${h.v1}/chat/completions`, h.tokens.alice, chat);
      if (last.status === 200) spent += h.events.at(-1)!.costMicros!;
    }
    expect(spent).toBeGreaterThanOrEqual(30_000);
    expect(last.status).toBe(402);
    expect(JSON.parse(last.text)).toMatchObject({ error: { type: 'insufficient_quota', code: 'budget_exceeded' } });
    expect(JSON.parse(last.text).error.message).toMatch(
      /monthly cost budget of this API token \(0\.030000\) is spent; it resets at \d{4}-\d\d-01T00:00:00\.000Z/,
    );
    expect(h.events.at(-1)).toMatchObject({ status: 402, costMicros: 0 });
  });

  it('a request whose max_tokens exceeds what is left of a token quota is refused before any backend call', async () => {
    const ledger = createMemoryBudgetLedger();
    const h = await harness(ledger, { providers: [{ id: 'p' }], aliceTokenLimits: { tokensPerDay: 500 } });
    const big = await post(`${h.v1}/chat/completions`, h.tokens.alice, { ...chat, max_tokens: 1000 });
    expect(big.status).toBe(429);
    expect(JSON.parse(big.text).error.message).toMatch(
      /needs about \d+ tokens, more than the 500 left of the daily quota/,
    );
    expect(h.mocks['p']!.requests).toHaveLength(0);
    const small = await post(`${h.v1}/chat/completions`, h.tokens.alice, { ...chat, max_tokens: 50 });
    expect(small.status).toBe(200);
    const event = h.events.at(-1)!;
    const key = `b:{${USERS.alice.id}}:token:t-alice:tokens:${budgetWindow('day', Date.now()).id}`;
    await expect.poll(() => ledger.used(key)).toBe(event.promptTokens + event.completionTokens);
  });

  it('user limits apply to every token of the user', async () => {
    const ledger = createMemoryBudgetLedger();
    const h = await harness(ledger, { providers: [{ id: 'p' }] });
    h.plane.setSnapshot({
      ...h.snapshot,
      version: 2,
      users: h.snapshot.users.map((u) => (u.id === USERS.alice.id ? { ...u, limits: { requestsPerMonth: 1 } } : u)),
    });
    expect((await post(`${h.v1}/chat/completions`, h.tokens.alice, chat)).status).toBe(200);
    const second = await post(`${h.v1}/chat/completions`, h.tokens.alice, chat);
    expect(second.status).toBe(429);
    expect(JSON.parse(second.text).error.message).toContain('monthly quota of 1 requests for this user');
  });

  it('the per-minute limit and the budget reservation are asked at once; a request the limit refuses gives its reservation back', async () => {
    const ledger = createMemoryBudgetLedger();
    const inner = createMemoryRateLimiter();
    const reservedAt: number[] = [];
    const decidedAt: number[] = [];
    // A limiter that takes 40 ms to answer, like a far Redis: a reservation made only after it would start after it.
    const slow: RateLimiter = {
      hit: async (...args) => {
        await new Promise((resolve) => setTimeout(resolve, 40));
        decidedAt.push(performance.now());
        return inner.hit(...args);
      },
      hitAll: async (hits) => {
        await new Promise((resolve) => setTimeout(resolve, 40));
        decidedAt.push(performance.now());
        return inner.hitAll(hits);
      },
      close: () => inner.close(),
    };
    const watched: BudgetLedger = {
      ...ledger,
      reserve: (lines) => {
        reservedAt.push(performance.now());
        return ledger.reserve(lines);
      },
    };
    const h = await harness(
      watched,
      { providers: [{ id: 'p' }], aliceTokenLimits: { requestsPerMinute: 2, requestsPerDay: 100 } },
      slow,
    );
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(`${h.v1}/chat/completions`, h.tokens.alice, chat)).status);
    expect(statuses).toEqual([200, 200, 429, 429, 429]);
    reservedAt.forEach((at, i) => expect(at).toBeLessThan(decidedAt[i]!));
    expect(h.mocks['p']!.requests).toHaveLength(2);
    // Refused by the limit: no usage event, and the daily request count holds only what ran.
    expect(h.events).toHaveLength(2);
    const key = `b:{${USERS.alice.id}}:token:t-alice:requests:${budgetWindow('day', Date.now()).id}`;
    await expect.poll(() => ledger.used(key)).toBe(2);
  });

  it('on Redis, as the data-plane role runs them (one pipelined connection), the same holds across 20 concurrent requests', async () => {
    const prefix = testRedisPrefix('dp-rl-budget');
    const client = createRedisClient({
      url: testRedisUrl(),
      name: 'test-dp-limits',
      redisOptions: { enableAutoPipelining: true },
    });
    cleanup.push(() => closeRedisClient(client));
    // Leased as the role runs them; limits this small are too small to lease, so each is exact.
    const ledger = createRedisBudgetLedger({ url: testRedisUrl(), prefix, client, leases: {} });
    const h = await harness(
      ledger,
      { providers: [{ id: 'p' }], aliceTokenLimits: { requestsPerMinute: 5, requestsPerDay: 100 } },
      createRedisRateLimiter({ url: testRedisUrl(), prefix, client, leases: {} }),
    );
    const results = await Promise.all(
      Array.from({ length: 20 }, () => post(`${h.v1}/chat/completions`, h.tokens.alice, chat)),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(5);
    const limited = results.filter((r) => r.status === 429);
    expect(limited).toHaveLength(15);
    expect(JSON.parse(limited[0]!.text)).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
    expect(h.mocks['p']!.requests).toHaveLength(5);
    const key = `b:{${USERS.alice.id}}:token:t-alice:requests:${budgetWindow('day', Date.now()).id}`;
    await expect.poll(() => ledger.used(key)).toBe(5);
  });

  it('large limits from node-local leases: every request is counted once, its usage settled, Redis exact after close', async () => {
    const prefix = testRedisPrefix('dp-leased');
    const client = createRedisClient({
      url: testRedisUrl(),
      name: 'test-dp-leased',
      redisOptions: { enableAutoPipelining: true },
    });
    cleanup.push(() => closeRedisClient(client));
    const ledger = createRedisBudgetLedger({ url: testRedisUrl(), prefix, client, leases: {} });
    const limiter = createRedisRateLimiter({ url: testRedisUrl(), prefix, client, leases: {} });
    const h = await harness(
      ledger,
      {
        providers: [{ id: 'p' }],
        aliceTokenLimits: {
          requestsPerMinute: 64_000,
          tokensPerMinute: 6_400_000,
          requestsPerDay: 64_000,
          tokensPerDay: 6_400_000,
        },
      },
      limiter,
    );
    const results = await Promise.all(
      Array.from({ length: 30 }, () => post(`${h.v1}/chat/completions`, h.tokens.alice, chat)),
    );
    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 30 }, () => 200));
    await expect.poll(() => h.events.length).toBe(30);
    const tokens = h.events.reduce((sum, e) => sum + e.promptTokens + e.completionTokens, 0);
    expect(tokens).toBeGreaterThan(0);
    const day = budgetWindow('day', Date.now()).id;
    const base = `b:{${USERS.alice.id}}:token:t-alice`;
    // This node's view: its unused slices are not counted as used.
    expect(await ledger.used(`${base}:requests:${day}`)).toBe(30);
    expect(await ledger.used(`${base}:tokens:${day}`)).toBe(tokens);
    // Closing hands every unused slice back: Redis holds exactly what was used.
    await ledger.close();
    await limiter.close();
    expect(Number(await client.get(`${prefix}${base}:requests:${day}`))).toBe(30);
    expect(Number(await client.get(`${prefix}${base}:tokens:${day}`))).toBe(tokens);
    const [rpmKey] = await client.keys(`${prefix}rl:60:token:t-alice:*`);
    const [tpmKey] = await client.keys(`${prefix}rl:60:tpm:token:t-alice:*`);
    expect(Number(await client.get(rpmKey!))).toBe(30);
    expect(Number(await client.get(tpmKey!))).toBe(tokens);
  });
});
