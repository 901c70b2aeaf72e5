import type { ResolvedTimeouts } from '../config/timeouts.schema';

/**
 * The retry table of docs/architecture.md "Retry discipline" as one pure function (docs/reliability.md). The proxy
 * loop classifies what the backend did before the first byte reached the client, asks for a
 * verdict and executes it; it never decides by itself.
 */
export type AttemptOutcome =
  /** The TCP connection was refused (ECONNREFUSED) or could not be made. */
  | { kind: 'refused' }
  /** The connection was reset or closed before an answer. */
  | { kind: 'reset' }
  /** No response headers within `timeout_headers_s`. */
  | { kind: 'headers-timeout' }
  /** Streaming: headers came, but no first token within `timeout_first_token_s`. */
  | { kind: 'first-token-timeout' }
  /** The backend answered with an HTTP error. `retryAfterMs` is its parsed Retry-After, if any. */
  | { kind: 'status'; status: number; errorCode?: string | undefined; retryAfterMs?: number | undefined };

export interface VerdictInput {
  outcome: AttemptOutcome;
  /** Same-entry retries already made for this entry within this request. */
  sameEntryRetries: number;
  timeouts: ResolvedTimeouts;
  /** The entry's `error_cooldown`, in ms. */
  errorCooldownMs: number;
  /** Milliseconds left of the request's total budget. */
  remainingMs: number;
  /** A number in [0, 1) from the injected rng, for backoff jitter. */
  jitter: number;
}

/** What the failure does to the entry's cooldown state (see cooldown.ts). */
export type CooldownEffect = { kind: 'none' } | { kind: 'failure' } | { kind: 'open'; cooldownMs: number };

export type RetryAction =
  | { action: 'retry-same'; afterMs: number }
  /** `largerContext`: only entries whose context window is larger than this one's, or unknown. */
  | { action: 'next-entry'; largerContext?: true }
  | { action: 'return-to-client' };

export type Verdict = RetryAction & {
  cooldown: CooldownEffect;
  /** 401/403/404: the entry's own key or model is wrong; the provider is flagged in health. */
  flagUnhealthy: boolean;
  /** Which row of the table decided, for logs and tests. */
  row: VerdictRow;
};

export type VerdictRow =
  | 'connection-or-5xx'
  | 'rate-limit-short-retry-after'
  | 'rate-limit-long-retry-after'
  | 'silent-backend'
  | 'wrong-key-or-model'
  | 'context-length'
  | 'client-error'
  | 'budget-exhausted';

const CONTEXT_LENGTH_CODES = new Set(['context_length_exceeded', 'string_above_max_length']);

export function retryVerdict(input: VerdictInput): Verdict {
  const { outcome, timeouts, remainingMs } = input;
  const failure: CooldownEffect = { kind: 'failure' };
  const next = (cooldown: CooldownEffect, row: VerdictRow, flagUnhealthy = false): Verdict =>
    remainingMs <= 0
      ? { action: 'return-to-client', cooldown, flagUnhealthy, row: 'budget-exhausted' }
      : { action: 'next-entry', cooldown, flagUnhealthy, row };
  // The retry itself gives the verdict on the entry; only moving on changes its cooldown.
  const retrySame = (afterMs: number, row: VerdictRow): Verdict | null =>
    input.sameEntryRetries < timeouts.sameEntryRetries && afterMs < remainingMs
      ? { action: 'retry-same', afterMs, cooldown: { kind: 'none' }, flagUnhealthy: false, row }
      : null;

  switch (outcome.kind) {
    case 'refused':
    case 'reset': {
      const retry = retrySame(jittered(timeouts.backoffMs, input.jitter), 'connection-or-5xx');
      // docs/architecture.md "Retry discipline": a refused connection opens the cooldown at once; a reset counts.
      const cooldown: CooldownEffect =
        outcome.kind === 'refused' ? { kind: 'open', cooldownMs: input.errorCooldownMs } : failure;
      return retry ?? next(cooldown, 'connection-or-5xx');
    }
    case 'headers-timeout':
    case 'first-token-timeout':
      // A silent backend stays silent: never wait for it twice.
      return next(failure, 'silent-backend');
    case 'status':
      return statusVerdict(input, outcome, retrySame, next);
  }
}

function statusVerdict(
  input: VerdictInput,
  outcome: Extract<AttemptOutcome, { kind: 'status' }>,
  retrySame: (afterMs: number, row: VerdictRow) => Verdict | null,
  next: (cooldown: CooldownEffect, row: VerdictRow, flagUnhealthy?: boolean) => Verdict,
): Verdict {
  const { status } = outcome;
  // 508: the request already passed through this cluster too many times (docs/endpoint-policy.md);
  // the same entry would loop again, another entry may not.
  if (status === 508) return next({ kind: 'failure' }, 'connection-or-5xx');
  if (status >= 500 || status === 408 || status === 409) {
    const retry = retrySame(jittered(input.timeouts.backoffMs, input.jitter), 'connection-or-5xx');
    return retry ?? next({ kind: 'failure' }, 'connection-or-5xx');
  }
  if (status === 429) {
    const ra = outcome.retryAfterMs;
    if (ra !== undefined && ra <= input.timeouts.retryAfterMaxMs) {
      // Second 429 in a short window (or no budget to wait): never hammer it, cool it down.
      const retry = retrySame(ra, 'rate-limit-short-retry-after');
      return retry ?? next({ kind: 'open', cooldownMs: Math.max(ra, 1000) }, 'rate-limit-short-retry-after');
    }
    return next({ kind: 'open', cooldownMs: ra ?? input.errorCooldownMs }, 'rate-limit-long-retry-after');
  }
  if (status === 401 || status === 403 || status === 404) return next({ kind: 'failure' }, 'wrong-key-or-model', true);
  if (status === 400 && outcome.errorCode !== undefined && CONTEXT_LENGTH_CODES.has(outcome.errorCode)) {
    // Not the entry's fault: no cooldown, but never resend it unchanged to a window this small.
    const v = next({ kind: 'none' }, 'context-length');
    return v.action === 'next-entry' ? { ...v, largerContext: true } : v;
  }
  // 400 content policy, any other 400/422 and the remaining 4xx: the client's request is the problem.
  return { action: 'return-to-client', cooldown: { kind: 'none' }, flagUnhealthy: false, row: 'client-error' };
}

/** Full jitter around the base: 50 %–150 % of it, so retries of many clients spread out. */
function jittered(baseMs: number, jitter: number): number {
  return Math.round(baseMs * (0.5 + jitter));
}

/** `Retry-After` as seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfterMs(value: string | undefined | null, now: number): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
