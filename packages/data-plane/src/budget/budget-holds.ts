import type { GatewayError, Resolution, UsageEvent } from '@aisbf/core';
import type { Principal } from '../auth';
import type { BudgetGuard, BudgetHold, Reservation } from './budget-guard';

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
  }): HoldResult | Promise<HoldResult>;
  /** Settles the reservation of the request this usage event belongs to, if any. */
  settle(event: UsageEvent): void;
  release(key: number): void;
  /** Gives a reservation back whole (its request was refused before it ran). */
  refund(key: number): void;
}

/** What `reserve` answers: at once when the ledger decided at once (docs/benchmarks.md "Bookkeeping per request"). */
export type HoldResult = { ok: true; key: number | null } | { ok: false; error: GatewayError };

/** The answer for a request nothing limits (shared: callers only read it). */
const NOTHING_HELD: HoldResult = { ok: true, key: null };

interface OpenHold {
  key: number;
  requestId: string;
  tokenId: string | null;
  hold: BudgetHold;
}

export function createBudgetHolds(budget: BudgetGuard): BudgetHolds {
  const holds = new Map<number, OpenHold>();
  /**
   * The open holds of each request id, oldest first: a client may reuse an x-request-id (under one
   * token or several), and a usage event settles the oldest reservation of its (token, request id).
   * Keyed by the request id string itself, the same string the event carries, so no key is built per
   * request, and settling costs the same with 1,000 requests in flight as with one.
   */
  const byRequest = new Map<string, OpenHold[]>();
  let seq = 0;
  const take = (open: OpenHold): BudgetHold => {
    holds.delete(open.key);
    const list = byRequest.get(open.requestId)!;
    if (list.length === 1) byRequest.delete(open.requestId);
    else list.splice(list.indexOf(open), 1);
    return open.hold;
  };
  const opened = (reservation: Reservation, requestId: string, principal: Principal): HoldResult => {
    if (!reservation.ok) return reservation;
    if (reservation.hold === null) return NOTHING_HELD;
    const open: OpenHold = { key: seq++, requestId, tokenId: principal.token.id, hold: reservation.hold };
    holds.set(open.key, open);
    const list = byRequest.get(requestId);
    if (list === undefined) byRequest.set(requestId, [open]);
    else list.push(open);
    return { ok: true, key: open.key };
  };
  return {
    reserve({ requestId, principal, body, promptChars, resolution, now }) {
      const reservation = budget.reserve({ principal, body, promptChars, resolution, now });
      // A closure only for a ledger that answers later (docs/benchmarks.md "The request's critical path").
      return reservation instanceof Promise
        ? reservation.then((r) => opened(r, requestId, principal))
        : opened(reservation, requestId, principal);
    },
    settle(event) {
      const list = byRequest.get(event.requestId);
      if (list === undefined) return;
      const open = list.find((o) => o.tokenId === event.tokenId);
      if (open !== undefined) budget.settle(take(open), event);
    },
    release(key) {
      const open = holds.get(key);
      if (open !== undefined) take(open);
    },
    refund(key) {
      const open = holds.get(key);
      if (open !== undefined) budget.refund(take(open));
    },
  };
}
