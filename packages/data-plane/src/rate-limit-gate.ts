import type { Logger } from 'pino';
import { GatewayError, type RateLimiter } from '@aisbf/core';
import type { Principal } from './auth';

/** Per-minute request limits of tokens and users (`requestsPerMinute`), checked before the body is read. */
export interface RateLimitGate {
  /** The per-minute limits that apply, or null when none does (no limiter, no limits: no await). */
  checks(principal: Principal): Array<[string, number]> | null;
  /** Counts the request against each limit; the error when one is reached. */
  hit(checks: Array<[string, number]>): Promise<GatewayError | null>;
}

export function createRateLimitGate(limiter: RateLimiter | undefined, logger: Logger): RateLimitGate {
  return {
    checks(principal) {
      if (limiter === undefined) return null;
      const tokenRpm = principal.token.limits?.requestsPerMinute;
      const userRpm = principal.user.limits?.requestsPerMinute;
      if (tokenRpm === undefined && userRpm === undefined) return null;
      const checks: Array<[string, number]> = [];
      if (tokenRpm !== undefined) checks.push([`token:${principal.token.id}`, tokenRpm]);
      if (userRpm !== undefined) checks.push([`user:${principal.user.id}`, userRpm]);
      return checks;
    },
    async hit(checks) {
      if (limiter === undefined) return null;
      for (const [key, limit] of checks) {
        let decision: Awaited<ReturnType<RateLimiter['hit']>>;
        try {
          decision = await limiter.hit(key, limit, 60);
        } catch (error) {
          // Fail open: a limiter outage (Redis away) must not take the API down with it.
          logger.warn({ err: error, key }, 'rate limiter unavailable; request allowed');
          continue;
        }
        if (!decision.allowed)
          return new GatewayError(
            'RATE_LIMITED',
            `Rate limit of ${limit} requests per minute reached; retry in ${decision.retryAfterS} s.`,
            { retryAfterS: decision.retryAfterS, wireCode: 'rate_limit_exceeded' },
          );
      }
      return null;
    },
  };
}
