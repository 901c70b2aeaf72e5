import { describe, expect, it } from 'vitest';
import type { PlannedLine, Resolution, UsageEvent } from '@aisbf/core';
import type { Principal } from '../auth';
import type { BudgetGuard, BudgetHold } from './budget-guard';
import { createBudgetHolds } from './budget-holds';

/** A guard that grants every reservation a hold named after its prompt size, and records what it settles. */
function recordingGuard(): BudgetGuard & { settled: Array<[number, string]>; refunded: number[] } {
  const tag = (hold: BudgetHold): number => hold.lines[0]!.amount;
  const guard = {
    settled: [] as Array<[number, string]>,
    refunded: [] as number[],
    reserve: async ({ promptChars }: { promptChars: number }) => ({
      ok: true as const,
      hold: { lines: [{ amount: promptChars } as unknown as PlannedLine] },
    }),
    settle: (hold: BudgetHold, event: UsageEvent) => void guard.settled.push([tag(hold), event.requestId]),
    refund: (hold: BudgetHold) => void guard.refunded.push(tag(hold)),
  };
  return guard;
}

const principal = (tokenId: string): Principal =>
  ({ token: { id: tokenId }, user: { id: 'u' } }) as unknown as Principal;
const event = (requestId: string, tokenId: string): UsageEvent => ({ requestId, tokenId }) as unknown as UsageEvent;
const reserve = (holds: ReturnType<typeof createBudgetHolds>, requestId: string, tokenId: string, tag: number) =>
  holds.reserve({
    requestId,
    principal: principal(tokenId),
    body: {},
    promptChars: tag,
    resolution: {} as Resolution,
    now: 0,
  });

describe('budget holds', () => {
  it("settles a request's oldest open reservation, by its token and request id", async () => {
    const guard = recordingGuard();
    const holds = createBudgetHolds(guard);
    await reserve(holds, 'r1', 't1', 1);
    await reserve(holds, 'r1', 't1', 2); // a client reusing its x-request-id
    await reserve(holds, 'r1', 't2', 3); // the same id under another token is another request
    await reserve(holds, 'r2', 't1', 4);
    holds.settle(event('r1', 't1'));
    holds.settle(event('r1', 't2'));
    holds.settle(event('r1', 't1'));
    holds.settle(event('r1', 't1')); // nothing left for it
    holds.settle(event('r9', 't1')); // never reserved
    expect(guard.settled).toEqual([
      [1, 'r1'],
      [3, 'r1'],
      [2, 'r1'],
    ]);
    holds.settle(event('r2', 't1'));
    expect(guard.settled.at(-1)).toEqual([4, 'r2']);
  });

  it('a released or refunded reservation is gone; the others of its request stay', async () => {
    const guard = recordingGuard();
    const holds = createBudgetHolds(guard);
    const a = await reserve(holds, 'r1', 't1', 1);
    const b = await reserve(holds, 'r1', 't1', 2);
    const c = await reserve(holds, 'r1', 't1', 3);
    if (!a.ok || !b.ok || !c.ok || a.key === null || b.key === null || c.key === null) throw new Error('not held');
    holds.refund(b.key);
    holds.refund(b.key); // twice: refunded once
    holds.release(a.key);
    expect(guard.refunded).toEqual([2]);
    holds.settle(event('r1', 't1'));
    holds.settle(event('r1', 't1'));
    expect(guard.settled).toEqual([[3, 'r1']]);
    holds.refund(c.key); // settled already: nothing to give back
    expect(guard.refunded).toEqual([2]);
  });
});
