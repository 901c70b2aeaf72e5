import { GatewayError, requestSpacing, type RequestSpacer } from '@aisbf/core';
import type { Logger } from 'pino';
import type { Leaf } from '../proxy/select-leaf';

/** Why a leaf is not tried now, and the error the client gets when no other entry serves. */
export interface SpacingSkip {
  reason: string;
  waitMs: number;
}

/**
 * AISBF's `rate_limit` (docs/context.md "Rate limit"): claims the leaf's next slot, or says how long
 * until it opens. A spaced entry is not available now: the rotation moves on without a cooldown.
 * No spacing configured: null, synchronously (no promise, no await on the request path). A spacer
 * outage lets the request through (like the per-minute limits, it must not take the API down with it).
 */
export function spacingSkip(
  spacer: RequestSpacer | undefined,
  leaf: Leaf,
  logger: Logger,
): Promise<SpacingSkip | null> | null {
  if (spacer === undefined) return null;
  const spacing = requestSpacing(leaf.target, leaf.limits);
  if (spacing === null) return null;
  return claimSlot(spacer, spacing, logger);
}

async function claimSlot(
  spacer: RequestSpacer,
  spacing: NonNullable<ReturnType<typeof requestSpacing>>,
  logger: Logger,
): Promise<SpacingSkip | null> {
  try {
    const claim = await spacer.claim(spacing.key, spacing.intervalMs);
    if (claim.claimed) return null;
    const seconds = spacing.intervalMs / 1000;
    return {
      reason: `rate_limit: one request every ${seconds} s to ${spacing.what}; next in ${(claim.waitMs / 1000).toFixed(1)} s`,
      waitMs: claim.waitMs,
    };
  } catch (error) {
    logger.warn({ err: error, key: spacing.key }, 'request spacing unavailable; request allowed');
    return null;
  }
}

/** The client's 429 when every entry it could use is spaced: retry when the soonest slot opens. */
export function spacedError(waitMs: number, name: string): GatewayError {
  const retryAfterS = Math.max(1, Math.ceil(waitMs / 1000));
  return new GatewayError(
    'RATE_LIMITED',
    `Every entry of ${name} is spaced by its rate_limit; retry in ${retryAfterS} s.`,
    { retryAfterS, wireCode: 'rate_limit_exceeded' },
  );
}
