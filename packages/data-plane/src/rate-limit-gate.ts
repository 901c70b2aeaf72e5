import type { Logger } from 'pino';
import { GatewayError, type RateHit, type RateLimiter, type RateVerdict, type UsageEvent } from '@aisbf/core';
import type { Principal } from './auth';

/** One per-minute limit a request is checked against. */
export interface RateCheck {
  /** `token:<id>` or `user:<id>` (the calling token and its user, docs/usage.md). */
  key: string;
  limit: number;
  /** `requests`: this request counts 1; `tokens`: the window's spent tokens must be below the limit. */
  unit: 'requests' | 'tokens';
}

/**
 * Per-minute limits of tokens and users (`requestsPerMinute`, `tokensPerMinute`; docs/usage.md),
 * checked before the body is read. Tokens per minute follow the budgets' "check before, account
 * after": a request is refused once the window's spent tokens reach the limit, and each finished
 * request adds what its usage event says it used.
 */
export interface RateLimitGate {
  /** The per-minute limits that apply, or null when none does (no limiter, no limits: no await). */
  checks(principal: Principal): RateCheck[] | null;
  /**
   * Counts the request against each request limit and checks each token limit, all in one call
   * (one Redis script, all or nothing: a refused request counts on no window); the error when one is reached.
   */
  hit(checks: RateCheck[]): Promise<GatewayError | null>;
  /** Adds a finished request's tokens to its token's and user's tokens-per-minute windows. Never throws. */
  charge(event: UsageEvent): void;
}

/** Window of both limits, seconds. */
const MINUTE = 60;

/** A token's checks as last built, valid while its token's and user's limits are the same objects. */
interface Planned {
  user: Principal['user'];
  tokenLimits: Principal['token']['limits'];
  userLimits: Principal['user']['limits'];
  checks: RateCheck[];
  hits: RateHit[];
}

/** Tokens whose checks are kept at most; past it the cache starts over (no per-request eviction work). */
const PLANNED_LIMIT = 10_000;

export function createRateLimitGate(limiter: RateLimiter | undefined, logger: Logger): RateLimitGate {
  /**
   * The tokens-per-minute keys of each calling token, as last checked: a usage event names its
   * token, not the token's user. Bounded by the number of tokens that have such a limit.
   */
  const tokenWindows = new Map<string, Array<{ key: string }>>();
  /**
   * Checks and limiter hits by token id, built when a token's or its user's limits change (a new
   * snapshot) rather than per request: the same key strings reach the limiter's Map lookups each
   * time, hashed once (docs/benchmarks.md "Bookkeeping per request").
   */
  const planned = new Map<string, Planned>();
  const hitsOf = new WeakMap<RateCheck[], RateHit[]>();
  const plan = (principal: Principal): RateCheck[] | null => {
    const { token, user } = principal;
    const tokenRpm = token.limits?.requestsPerMinute;
    const userRpm = user.limits?.requestsPerMinute;
    const tokenTpm = token.limits?.tokensPerMinute;
    const userTpm = user.limits?.tokensPerMinute;
    if (tokenRpm === undefined && userRpm === undefined && tokenTpm === undefined && userTpm === undefined) {
      if (tokenWindows.size > 0) tokenWindows.delete(token.id);
      return null;
    }
    const checks: RateCheck[] = [];
    if (tokenRpm !== undefined) checks.push({ key: `token:${token.id}`, limit: tokenRpm, unit: 'requests' });
    if (userRpm !== undefined) checks.push({ key: `user:${user.id}`, limit: userRpm, unit: 'requests' });
    const windows: Array<{ key: string }> = [];
    if (tokenTpm !== undefined) {
      checks.push({ key: `token:${token.id}`, limit: tokenTpm, unit: 'tokens' });
      windows.push({ key: `token:${token.id}` });
    }
    if (userTpm !== undefined) {
      checks.push({ key: `user:${user.id}`, limit: userTpm, unit: 'tokens' });
      windows.push({ key: `user:${user.id}` });
    }
    if (windows.length > 0) tokenWindows.set(token.id, windows);
    else tokenWindows.delete(token.id);
    if (planned.size >= PLANNED_LIMIT) planned.clear();
    const hits = checks.map((c) => ({
      key: keyOf(c),
      limit: c.limit,
      windowS: MINUTE,
      amount: c.unit === 'tokens' ? 0 : 1,
    }));
    hitsOf.set(checks, hits);
    planned.set(token.id, { user, tokenLimits: token.limits, userLimits: user.limits, checks, hits });
    return checks;
  };
  return {
    checks(principal) {
      if (limiter === undefined) return null;
      const { token, user } = principal;
      const last = planned.get(token.id);
      if (
        last !== undefined &&
        last.user === user &&
        last.tokenLimits === token.limits &&
        last.userLimits === user.limits
      )
        return last.checks;
      planned.delete(token.id);
      return plan(principal);
    },
    async hit(checks) {
      if (limiter === undefined) return null;
      let verdict: RateVerdict;
      try {
        // Tokens: a peek (amount 0 passes while the window's count is below the limit).
        verdict = await limiter.hitAll(
          hitsOf.get(checks) ??
            checks.map((c) => ({
              key: keyOf(c),
              limit: c.limit,
              windowS: MINUTE,
              amount: c.unit === 'tokens' ? 0 : 1,
            })),
        );
      } catch (error) {
        // Fail open: a limiter outage (Redis away) must not take the API down with it.
        logger.warn({ err: error, keys: checks.map((c) => c.key) }, 'rate limiter unavailable; request allowed');
        return null;
      }
      if (verdict.allowed) return null;
      const check = checks[verdict.index]!;
      return new GatewayError(
        'RATE_LIMITED',
        `Rate limit of ${check.limit} ${check.unit} per minute reached (${check.key.startsWith('user:') ? 'user' : 'API token'}); retry in ${verdict.decision.retryAfterS} s.`,
        { retryAfterS: verdict.decision.retryAfterS, wireCode: 'rate_limit_exceeded' },
      );
    },
    charge(event) {
      if (limiter === undefined || event.tokenId === null || tokenWindows.size === 0) return;
      const windows = tokenWindows.get(event.tokenId);
      const used = event.promptTokens + event.completionTokens;
      if (windows === undefined || !(used > 0)) return;
      for (const { key } of windows)
        // Accounting, not a decision: the request already ran, so the add must always land.
        limiter
          .hit(keyOf({ key, unit: 'tokens' }), Number.MAX_SAFE_INTEGER, MINUTE, used)
          .catch((error: unknown) => logger.warn({ err: error, key }, 'tokens-per-minute accounting failed'));
    },
  };
}

const keyOf = (check: Pick<RateCheck, 'key' | 'unit'>): string =>
  check.unit === 'tokens' ? `tpm:${check.key}` : check.key;
