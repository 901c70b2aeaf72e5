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
  const holds = new Map<string, BudgetHold>();
  let seq = 0;
  const keyOf = (requestId: string, tokenId: string | null): string => `${tokenId ?? ''}\u0000${requestId}`;
  return {
    async reserve({ requestId, principal, body, resolution, now }) {
      const reservation = await budget.reserve({ principal, body, resolution, now });
      if (!reservation.ok) return reservation;
      if (reservation.hold === null) return { ok: true, key: null };
      // A client may reuse an x-request-id: the key is made unique per reservation and found back by prefix.
      const key = `${keyOf(requestId, principal.token.id)}\u0000${seq++}`;
      holds.set(key, reservation.hold);
      return { ok: true, key };
    },
    settle(event) {
      if (holds.size === 0) return;
      const prefix = `${keyOf(event.requestId, event.tokenId)}\u0000`;
      for (const [key, hold] of holds) {
        if (!key.startsWith(prefix)) continue;
        holds.delete(key);
        budget.settle(hold, event);
        return;
      }
    },
    release: (key) => void holds.delete(key),
    refund(key) {
      const hold = holds.get(key);
      if (hold === undefined) return;
      holds.delete(key);
      budget.refund(hold);
    },
  };
}
