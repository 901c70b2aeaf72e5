import type { BudgetLedger, BudgetVerdict } from '@aisbf/core';

export interface MemoryBudgetLedgerOptions {
  now?: () => number;
}

/**
 * All-in-one mode: the budget ledger in this process. JavaScript runs `reserve` to completion
 * without yielding, so check-then-add is atomic here as the Lua script is in Redis.
 */
/** One verdict object for every allowed reservation (callers only read it). */
const ALLOWED: BudgetVerdict = { allowed: true };

export function createMemoryBudgetLedger(options: MemoryBudgetLedgerOptions = {}): BudgetLedger {
  const now = options.now ?? Date.now;
  const counters = new Map<string, { used: number; resetAt: number }>();
  /** `t`: the clock read once per call, not once per line (docs/benchmarks.md "The request's critical path"). */
  const current = (key: string, t: number): number => {
    const c = counters.get(key);
    if (c === undefined) return 0;
    if (c.resetAt <= t) {
      counters.delete(key);
      return 0;
    }
    return c.used;
  };
  let sweepAt = 0;
  // Yesterday's counters are never read again: drop ended windows now and then.
  const sweep = (t: number): void => {
    if (t < sweepAt) return;
    sweepAt = t + 60_000;
    for (const [key, c] of counters) if (c.resetAt <= t) counters.delete(key);
  };
  const add = (key: string, amount: number, resetAt: number, t: number): void => {
    counters.set(key, { used: current(key, t) + amount, resetAt });
  };
  return {
    reserve(lines): BudgetVerdict {
      const t = now();
      sweep(t);
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        const used = current(line.key, t);
        if (used >= line.limit || used + line.amount > line.limit) return { allowed: false, line: i, used };
      }
      for (const line of lines) add(line.key, line.amount, line.resetAt, t);
      return ALLOWED;
    },
    settle(adjustments) {
      const t = now();
      for (const a of adjustments) add(a.key, a.delta, a.resetAt, t);
    },
    async used(key) {
      return current(key, now());
    },
    async close() {
      counters.clear();
    },
  };
}
