import { afterEach, describe, expect, it } from 'vitest';
import type { BudgetLedger } from '@aisbf/core';
import { testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { createMemoryBudgetLedger } from './memory-budget-ledger';
import { createRedisBudgetLedger } from './redis-budget-ledger';
import { closeClient, createRedisClient } from './redis-client';

const resetAt = Date.now() + 3_600_000;
const line = (key: string, limit: number, amount: number) => ({ key, limit, amount, resetAt });

// The same contract for the all-in-one ledger and the cluster one.
const kinds: Array<[string, () => BudgetLedger[]]> = [
  ['memory', () => [createMemoryBudgetLedger()]],
  [
    'redis',
    () => {
      const prefix = testRedisPrefix('budget');
      return [
        createRedisBudgetLedger({ url: testRedisUrl(), prefix }),
        createRedisBudgetLedger({ url: testRedisUrl(), prefix }),
      ];
    },
  ],
  [
    // As the data-plane role runs it: one auto-pipelined connection shared with the rate limiter.
    'redis (shared auto-pipelined client)',
    () => {
      const prefix = testRedisPrefix('budget-pipelined');
      return [0, 1].map(() => {
        const client = createRedisClient({
          url: testRedisUrl(),
          name: 'test-budget-pipelined',
          redisOptions: { enableAutoPipelining: true },
        });
        const ledger = createRedisBudgetLedger({ url: testRedisUrl(), prefix, client });
        return { ...ledger, close: () => closeClient(client) };
      });
    },
  ],
  [
    // Leases of up to a quarter of each limit, so these small limits are leased: one node still
    // reserves exactly up to the limit and reads its own counters exactly.
    'redis (one node, leased)',
    () => [
      createRedisBudgetLedger({
        url: testRedisUrl(),
        prefix: testRedisPrefix('budget-leased'),
        leases: { divisor: 4 },
      }),
    ],
  ],
];

describe.each(kinds)('%s budget ledger', (_name, make) => {
  let ledgers: BudgetLedger[] = [];
  afterEach(async () => {
    await Promise.all(ledgers.map((l) => l.close()));
  });

  it('50 concurrent reservations against a limit of 10 pass exactly 10', async () => {
    ledgers = make();
    const verdicts = await Promise.all(
      Array.from({ length: 50 }, (_, i) => ledgers[i % ledgers.length]!.reserve([line('req', 10, 1)])),
    );
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(10);
    expect(await ledgers[0]!.used('req')).toBe(10);
  });

  it('is all or nothing: a refusing line leaves the others untouched', async () => {
    ledgers = make();
    const l = ledgers[0]!;
    expect(await l.reserve([line('a', 100, 5), line('b', 3, 4)])).toEqual({ allowed: false, line: 1, used: 0 });
    expect(await l.used('a')).toBe(0);
    expect(await l.reserve([line('a', 100, 5), line('b', 3, 3)])).toEqual({ allowed: true });
    expect(await l.reserve([line('b', 3, 0)])).toEqual({ allowed: false, line: 0, used: 3 });
  });

  it('settles the difference, refunds included', async () => {
    ledgers = make();
    const l = ledgers[0]!;
    await l.reserve([line('cost', 1000, 300)]);
    await l.settle([{ key: 'cost', delta: -200, resetAt }]);
    expect(await l.used('cost')).toBe(100);
    await l.settle([{ key: 'cost', delta: 950, resetAt }]);
    // Overspend by a settlement is recorded as is; the next reservation is refused.
    expect(await l.used('cost')).toBe(1050);
    expect((await l.reserve([line('cost', 1000, 0)])).allowed).toBe(false);
  });

  it('settles many keys of many requests at once, each exactly', async () => {
    ledgers = make();
    const l = ledgers[0]!;
    await Promise.all(Array.from({ length: 40 }, () => l.reserve([line('t1', 1e9, 10), line('t2', 1e9, 10)])));
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        l.settle([
          { key: 't1', delta: -i, resetAt },
          { key: 't2', delta: i, resetAt },
        ]),
      ),
    );
    expect(await l.used('t1')).toBe(400 - 780);
    expect(await l.used('t2')).toBe(400 + 780);
  });
});

it('memory counters end with their window', async () => {
  let t = 1000;
  const l = createMemoryBudgetLedger({ now: () => t });
  await l.reserve([{ key: 'k', limit: 1, amount: 1, resetAt: 2000 }]);
  expect((await l.reserve([{ key: 'k', limit: 1, amount: 1, resetAt: 2000 }])).allowed).toBe(false);
  t = 2000;
  expect((await l.reserve([{ key: 'k', limit: 1, amount: 1, resetAt: 3000 }])).allowed).toBe(true);
});

it('the memory sweep of ended windows keeps live counters', async () => {
  let t = 1000;
  const l = createMemoryBudgetLedger({ now: () => t });
  await l.reserve([
    { key: 'old', limit: 5, amount: 1, resetAt: 2000 },
    { key: 'live', limit: 5, amount: 2, resetAt: 200_000 },
  ]);
  t = 70_000;
  expect(await l.reserve([{ key: 'other', limit: 5, amount: 1, resetAt: 200_000 }])).toEqual({ allowed: true });
  expect(await l.used('live')).toBe(2);
  expect((await l.reserve([{ key: 'live', limit: 5, amount: 4, resetAt: 200_000 }])).allowed).toBe(false);
});
