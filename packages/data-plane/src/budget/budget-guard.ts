import type { Logger } from 'pino';
import {
  BudgetKeys,
  budgetRefusal,
  computeCostMicros,
  planBudget,
  settleBudget,
  type BudgetLedger,
  type BudgetVerdict,
  type GatewayError,
  type PlannedLine,
  type Pricing,
  type Resolution,
  type UsageEvent,
} from '@aisbf/core';
import type { Principal } from '../auth';
import { estimateTokens } from '../proxy/chunk-facts';

/** A reservation held while the request runs; settled once with its usage event. */
export interface BudgetHold {
  lines: PlannedLine[];
}

export type Reservation = { ok: true; hold: BudgetHold | null } | { ok: false; error: GatewayError };

export interface BudgetGuard {
  /** Reserves the request's estimated use on every counter its user and token have (docs/usage.md). */
  reserve(input: {
    principal: Principal;
    body: Record<string, unknown>;
    /** The prompt's size in characters or bytes, for its estimate (the request body's byte length). */
    promptChars: number;
    resolution: Resolution;
    now: number;
  }): Reservation | Promise<Reservation>;
  /** Corrects the reservation by what the request really used. Fire-and-forget; never throws. */
  settle(hold: BudgetHold, event: UsageEvent): void;
  /** Takes the whole reservation back (requests included). Fire-and-forget; never throws. */
  refund(hold: BudgetHold): void;
}

/** The reservation of a request nothing limits (shared: callers only read it). */
const NOTHING_HELD: Reservation = { ok: true, hold: null };

export function createBudgetGuard(deps: { ledger: BudgetLedger; logger: Logger }): BudgetGuard {
  /** Counter keys kept between this node's requests (core's BudgetKeys). */
  const keys = new BudgetKeys();
  /** A settlement or refund, fire-and-forget: a promise only when the ledger still writes. */
  const write = (adjustments: Parameters<BudgetLedger['settle']>[0], failed: string): void => {
    try {
      const written = deps.ledger.settle(adjustments);
      if (written !== undefined) written.catch((error: unknown) => deps.logger.warn({ err: error }, failed));
    } catch (error) {
      deps.logger.warn({ err: error }, failed);
    }
  };
  // Fail open, as the rate limiter does: a Redis outage must not take the API down with it.
  const unmetered = (error: unknown): Reservation => {
    deps.logger.warn({ err: error }, 'budget ledger unavailable; request allowed unmetered');
    return NOTHING_HELD;
  };
  return {
    reserve({ principal, body, promptChars, resolution, now }) {
      const { user, token } = principal;
      if (user.limits === undefined && token.limits === undefined) return NOTHING_HELD;
      const lines = planBudget({
        userId: user.id,
        userLimits: user.limits,
        tokenId: token.id,
        tokenLimits: token.limits,
        now,
        estimate: estimate(body, promptChars, resolution),
        keys,
      });
      if (lines.length === 0) return NOTHING_HELD;
      let verdict: BudgetVerdict | Promise<BudgetVerdict>;
      try {
        verdict = deps.ledger.reserve(lines);
      } catch (error) {
        return unmetered(error);
      }
      // Decided at once when the ledger can (memory, leases): no promise per layer when nothing
      // waits, and no closure either (docs/benchmarks.md "The request's critical path").
      return verdict instanceof Promise
        ? verdict.then((v) => decided(v, lines, now), unmetered)
        : decided(verdict, lines, now);
    },
    settle(hold, event) {
      // An unpriced answer adds no cost: its usage is flagged (costMicros null), not guessed.
      const adjustments = settleBudget(hold.lines, {
        tokens: event.promptTokens + event.completionTokens,
        costMicros: event.costMicros ?? 0,
      });
      if (adjustments.length === 0) return;
      write(adjustments, 'budget settlement failed');
    },
    refund(hold) {
      const adjustments = hold.lines
        .filter((line) => line.amount !== 0)
        .map((line) => ({ key: line.key, delta: -line.amount, resetAt: line.resetAt }));
      if (adjustments.length === 0) return;
      write(adjustments, 'budget refund failed');
    },
  };
}

function decided(verdict: BudgetVerdict, lines: PlannedLine[], now: number): Reservation {
  if (verdict.allowed) return { ok: true, hold: { lines } };
  const line = lines[verdict.line]!;
  return { ok: false, error: budgetRefusal(line, verdict.used, now) };
}

/**
 * What the request may use: its prompt (≈4 characters a token, counted on the whole request body
 * as it arrived: a coding agent's body is mostly its messages and tool definitions, and a 160 KB
 * body is not serialised a second time on the request path) plus `max_tokens` when the client set
 * one, priced at the dearest model the route may reach (a rotation may fail over to any entry).
 */
export function estimate(
  body: Record<string, unknown>,
  promptChars: number,
  resolution: Resolution,
): { tokens: number; costMicros: number } {
  const promptTokens = estimateTokens(promptChars);
  const max = body['max_completion_tokens'] ?? body['max_tokens'];
  const completionTokens = typeof max === 'number' && Number.isFinite(max) && max > 0 ? Math.ceil(max) : 0;
  let dearest = 0;
  for (const pricing of pricesOf(resolution)) {
    const cost = computeCostMicros(pricing, { promptTokens, completionTokens });
    if (cost !== null && cost > dearest) dearest = cost;
  }
  return { tokens: promptTokens + completionTokens, costMicros: dearest };
}

function pricesOf(resolution: Resolution): Array<Pricing | undefined> {
  if (resolution.kind === 'provider') return [resolution.target.modelInfo?.pricing];
  if (resolution.kind === 'rotation') return resolution.entries.map((e) => e.target?.modelInfo?.pricing);
  return [];
}
