import type { GatewayError, Resolution, UsageEvent } from '@aisbf/core';
import type { Principal } from '../auth';
import type { BudgetGuard, BudgetHold } from './budget-guard';

/**
 * The open budget reservations of this data plane, by request: a request reserves before it is
 * proxied, and its own usage event settles the reservation (docs/usage.md). A reservation the
 * request's event did not settle is dropped when the request ends.
 */
export interface BudgetHolds {
  /** Reserves for one request; `key` (null: nothing held) is released with `release` when the request ends. */
  reserve(input: {
    requestId: string;
    principal: Principal;
    body: Record<string, unknown>;
    promptChars: number;
    resolution: Resolution;
    now: number;
  }): Promise<{ ok: true; key: string | null } | { ok: false; error: GatewayError }>;
  /** Settles the reservation of the request this usage event belongs to, if any. */
  settle(event: UsageEvent): void;
  release(key: string): void;
  /** Gives a reservation back whole (its request was refused before it ran). */
  refund(key: string): void;
}

export function createBudgetHolds(budget: BudgetGuard): BudgetHolds {
  /** Every open reservation by its own key; `request` groups the ones of one (token, request id). */
  const holds = new Map<string, { request: string; hold: BudgetHold }>();
  /**
   * The open keys of each (token, request id), oldest first: a client may reuse an x-request-id, and
   * a usage event settles the oldest reservation of its request. Looked up by key, so settling costs
   * the same with 1,000 requests in flight as with one.
   */
  const byRequest = new Map<string, string[]>();
  let seq = 0;
  const keyOf = (requestId: string, tokenId: string | null): string => `${tokenId ?? ''}\u0000${requestId}`;
  const take = (key: string): BudgetHold | undefined => {
    const open = holds.get(key);
    if (open === undefined) return undefined;
    holds.delete(key);
    const keys = byRequest.get(open.request)!;
    if (keys.length === 1) byRequest.delete(open.request);
    else keys.splice(keys.indexOf(key), 1);
    return open.hold;
  };
  return {
    async reserve({ requestId, principal, body, promptChars, resolution, now }) {
      const reservation = await budget.reserve({ principal, body, promptChars, resolution, now });
      if (!reservation.ok) return reservation;
      if (reservation.hold === null) return { ok: true, key: null };
      const request = keyOf(requestId, principal.token.id);
      const key = `${request}\u0000${seq++}`;
      holds.set(key, { request, hold: reservation.hold });
      const keys = byRequest.get(request);
      if (keys === undefined) byRequest.set(request, [key]);
      else keys.push(key);
      return { ok: true, key };
    },
    settle(event) {
      const oldest = byRequest.get(keyOf(event.requestId, event.tokenId))?.[0];
      if (oldest === undefined) return;
      budget.settle(take(oldest)!, event);
    },
    release: (key) => void take(key),
    refund(key) {
      const hold = take(key);
      if (hold !== undefined) budget.refund(hold);
    },
  };
}
