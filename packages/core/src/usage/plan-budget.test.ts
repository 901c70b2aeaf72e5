import { describe, expect, it } from 'vitest';
import { BudgetKeys, budgetRefusal, budgetWindow, planBudget, settleBudget } from './plan-budget';

const now = Date.UTC(2026, 11, 31, 22, 30); // 2026-12-31 22:30 UTC

describe('budgetWindow', () => {
  it('days and months are UTC calendar windows, crossing the year', () => {
    expect(budgetWindow('day', now)).toEqual({ id: 'd2026-12-31', resetAt: Date.UTC(2027, 0, 1) });
    expect(budgetWindow('month', now)).toEqual({ id: 'm2026-12', resetAt: Date.UTC(2027, 0, 1) });
    expect(budgetWindow('month', Date.UTC(2026, 1, 10))).toEqual({ id: 'm2026-02', resetAt: Date.UTC(2026, 2, 1) });
  });

  it('gives the same window for every instant inside it, and the next one at its first instant', () => {
    const day = Date.UTC(2026, 5, 15);
    const at = (t: number): string => `${budgetWindow('day', t).id} ${budgetWindow('month', t).id}`;
    // Out of order, as requests' clocks are: a remembered window must never answer outside itself.
    for (const [t, want] of [
      [day + 5_000, 'd2026-06-15 m2026-06'],
      [day - 1, 'd2026-06-14 m2026-06'],
      [day, 'd2026-06-15 m2026-06'],
      [day + 86_400_000 - 1, 'd2026-06-15 m2026-06'],
      [day + 86_400_000, 'd2026-06-16 m2026-06'],
      [Date.UTC(2026, 6, 1) - 1, 'd2026-06-30 m2026-06'],
      [Date.UTC(2026, 6, 1), 'd2026-07-01 m2026-07'],
      [day, 'd2026-06-15 m2026-06'],
    ] as const)
      expect(at(t)).toBe(want);
  });
});

describe('planBudget', () => {
  it('one line per set limit, user and token, in one hash slot per user', () => {
    const lines = planBudget({
      userId: 'u1',
      userLimits: { requestsPerDay: 10, costMicrosPerMonth: 5_000_000, requestsPerMinute: 3 },
      tokenId: 't1',
      tokenLimits: { tokensPerDay: 1000 },
      now,
      estimate: { tokens: 120.2, costMicros: 40 },
    });
    expect(lines.map((l) => [l.key, l.limit, l.amount])).toEqual([
      ['b:{u1}:user:requests:d2026-12-31', 10, 1],
      ['b:{u1}:user:cost:m2026-12', 5_000_000, 40],
      ['b:{u1}:token:t1:tokens:d2026-12-31', 1000, 121],
    ]);
    expect(planBudget({ userId: 'u1', tokenId: 't1', now, estimate: { tokens: 1, costMicros: 1 } })).toEqual([]);
  });

  it('keys kept between requests follow the window, the user and a change of limits', () => {
    const keys = new BudgetKeys();
    const plan = (userId: string, tokenId: string, at: number, tokenLimits = { requestsPerDay: 5 }) => {
      const input = { userId, tokenId, tokenLimits, now: at, estimate: { tokens: 1, costMicros: 0 } };
      const kept = planBudget({ ...input, keys }).map((l) => l.key);
      // The same keys as those built anew.
      expect(kept).toEqual(planBudget(input).map((l) => l.key));
      return kept;
    };
    const day = Date.UTC(2026, 5, 15, 12);
    expect(plan('u1', 't1', day)).toEqual(['b:{u1}:token:t1:requests:d2026-06-15']);
    expect(plan('u1', 't1', day + 1)).toEqual(['b:{u1}:token:t1:requests:d2026-06-15']);
    // The next day, then back (requests' clocks arrive out of order).
    expect(plan('u1', 't1', day + 86_400_000)).toEqual(['b:{u1}:token:t1:requests:d2026-06-16']);
    expect(plan('u1', 't1', day)).toEqual(['b:{u1}:token:t1:requests:d2026-06-15']);
    // The same token id under another user is that user's counter (its hash slot).
    expect(plan('u2', 't1', day)).toEqual(['b:{u2}:token:t1:requests:d2026-06-15']);
    expect(plan('u2', 't1', day, { tokensPerMonth: 9 } as never)).toEqual(['b:{u2}:token:t1:tokens:m2026-06']);
    // Kept, not rebuilt: the same strings (and their hashes) for the next request of that scope.
    const [d, m] = [budgetWindow('day', day), budgetWindow('month', day)];
    expect(keys.tokenKeys('u2', 't1', d, m)).toBe(keys.tokenKeys('u2', 't1', d, m));
    expect(keys.userKeys('u2', d, m)).toBe(keys.userKeys('u2', d, m));
  });

  it('settlement corrects tokens and cost by the difference, never requests', () => {
    const lines = planBudget({
      userId: 'u',
      userLimits: { requestsPerDay: 5, tokensPerDay: 100, costMicrosPerDay: 100 },
      tokenId: 't',
      now,
      estimate: { tokens: 50, costMicros: 30 },
    });
    expect(settleBudget(lines, { tokens: 20, costMicros: 30 })).toEqual([
      { key: 'b:{u}:user:tokens:d2026-12-31', delta: -30, resetAt: Date.UTC(2027, 0, 1) },
    ]);
  });
});

describe('budgetRefusal', () => {
  it('429 quota_exceeded for requests, 402 budget_exceeded for cost, with the reset time', () => {
    const [requests, cost] = planBudget({
      userId: 'u',
      userLimits: { requestsPerDay: 5, costMicrosPerDay: 2_000_000 },
      tokenId: 't',
      now,
      estimate: { tokens: 0, costMicros: 0 },
    });
    const r = budgetRefusal(requests!, 5, now);
    expect([r.status, r.wireCode, r.retryAfterS]).toEqual([429, 'quota_exceeded', 5400]);
    expect(r.message).toContain('2027-01-01T00:00:00.000Z');
    const c = budgetRefusal(cost!, 2_000_000, now);
    expect([c.status, c.wireCode]).toEqual([402, 'budget_exceeded']);
    expect(c.message).toMatch(/daily cost budget of this user \(2\.000000\) is spent/);
  });
});
