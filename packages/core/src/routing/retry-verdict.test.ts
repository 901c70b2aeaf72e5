import { describe, expect, it } from 'vitest';
import { resolveTimeouts } from '../config/timeouts.schema';
import { parseRetryAfterMs, retryVerdict, type AttemptOutcome, type VerdictInput } from './retry-verdict';

const timeouts = resolveTimeouts();
const base = (outcome: AttemptOutcome, over: Partial<VerdictInput> = {}): VerdictInput => ({
  outcome,
  sameEntryRetries: 0,
  timeouts,
  errorCooldownMs: 60_000,
  remainingMs: 100_000,
  jitter: 0.5,
  ...over,
});

describe('retryVerdict: the retry table of docs/reliability.md, row by row', () => {
  it.each<AttemptOutcome>([
    { kind: 'refused' },
    { kind: 'reset' },
    { kind: 'status', status: 500 },
    { kind: 'status', status: 503 },
    { kind: 'status', status: 408 },
    { kind: 'status', status: 409 },
  ])('connection failure / 5xx / 408 / 409 (%j): same entry once after ~250 ms jittered, then next', (outcome) => {
    expect(retryVerdict(base(outcome))).toMatchObject({
      action: 'retry-same',
      afterMs: 250,
      cooldown: { kind: 'none' },
    });
    expect(
      retryVerdict(base(outcome, { jitter: 0 })).action === 'retry-same' && retryVerdict(base(outcome, { jitter: 0 })),
    ).toMatchObject({ afterMs: 125 });
    expect(retryVerdict(base(outcome, { jitter: 0.999 }))).toMatchObject({ afterMs: 375 });
    const second = retryVerdict(base(outcome, { sameEntryRetries: 1 }));
    expect(second).toMatchObject({ action: 'next-entry', row: 'connection-or-5xx' });
    expect(second.cooldown).toEqual(
      outcome.kind === 'refused' ? { kind: 'open', cooldownMs: 60_000 } : { kind: 'failure' },
    );
  });

  it('508 (a loop through the gateway): never the same entry again, straight to the next', () => {
    expect(retryVerdict(base({ kind: 'status', status: 508 }))).toMatchObject({
      action: 'next-entry',
      cooldown: { kind: 'failure' },
      row: 'connection-or-5xx',
    });
  });

  it('no same-entry retry when the backoff does not fit in the budget', () => {
    expect(retryVerdict(base({ kind: 'status', status: 502 }, { remainingMs: 200 }))).toMatchObject({
      action: 'next-entry',
    });
  });

  it('429 with a short Retry-After: wait it out on the same entry once, then cool it down', () => {
    const outcome: AttemptOutcome = { kind: 'status', status: 429, retryAfterMs: 2000 };
    expect(retryVerdict(base(outcome))).toMatchObject({
      action: 'retry-same',
      afterMs: 2000,
      cooldown: { kind: 'none' },
      row: 'rate-limit-short-retry-after',
    });
    expect(retryVerdict(base(outcome, { sameEntryRetries: 1 }))).toMatchObject({
      action: 'next-entry',
      cooldown: { kind: 'open', cooldownMs: 2000 },
    });
    // The wait must fit in the budget, else move on at once.
    expect(retryVerdict(base(outcome, { remainingMs: 1500 }))).toMatchObject({ action: 'next-entry' });
  });

  it('429 with a long or missing Retry-After: open the cooldown at once (its length from Retry-After) and move on', () => {
    expect(retryVerdict(base({ kind: 'status', status: 429, retryAfterMs: 30_000 }))).toMatchObject({
      action: 'next-entry',
      cooldown: { kind: 'open', cooldownMs: 30_000 },
      row: 'rate-limit-long-retry-after',
    });
    expect(retryVerdict(base({ kind: 'status', status: 429 }))).toMatchObject({
      action: 'next-entry',
      cooldown: { kind: 'open', cooldownMs: 60_000 },
    });
  });

  it.each<AttemptOutcome>([{ kind: 'headers-timeout' }, { kind: 'first-token-timeout' }])(
    'silent backend (%j): next entry at once, counts as a failure',
    (outcome) => {
      expect(retryVerdict(base(outcome))).toEqual({
        action: 'next-entry',
        cooldown: { kind: 'failure' },
        flagUnhealthy: false,
        row: 'silent-backend',
      });
    },
  );

  it.each([401, 403, 404])('%i: failure, next entry, provider flagged', (status) => {
    expect(retryVerdict(base({ kind: 'status', status }))).toEqual({
      action: 'next-entry',
      cooldown: { kind: 'failure' },
      flagUnhealthy: true,
      row: 'wrong-key-or-model',
    });
  });

  it('400 context_length_exceeded: next entry with a larger window, no cooldown', () => {
    expect(retryVerdict(base({ kind: 'status', status: 400, errorCode: 'context_length_exceeded' }))).toEqual({
      action: 'next-entry',
      largerContext: true,
      cooldown: { kind: 'none' },
      flagUnhealthy: false,
      row: 'context-length',
    });
  });

  it.each<AttemptOutcome>([
    { kind: 'status', status: 400, errorCode: 'content_policy_violation' },
    { kind: 'status', status: 400 },
    { kind: 'status', status: 422 },
    { kind: 'status', status: 413 },
  ])('client errors (%j) go back as they are: no retry, no cooldown', (outcome) => {
    expect(retryVerdict(base(outcome))).toEqual({
      action: 'return-to-client',
      cooldown: { kind: 'none' },
      flagUnhealthy: false,
      row: 'client-error',
    });
  });

  it('an exhausted budget returns to the client, keeping the cooldown effect', () => {
    expect(retryVerdict(base({ kind: 'headers-timeout' }, { remainingMs: 0 }))).toEqual({
      action: 'return-to-client',
      cooldown: { kind: 'failure' },
      flagUnhealthy: false,
      row: 'budget-exhausted',
    });
  });

  it('honours per-rotation knobs: no same-entry retry, custom backoff and Retry-After max', () => {
    const t = resolveTimeouts({ retry: { same_entry: 0 } });
    expect(retryVerdict(base({ kind: 'status', status: 500 }, { timeouts: t }))).toMatchObject({
      action: 'next-entry',
    });
    const t2 = resolveTimeouts({ retry: { backoff_ms: 20 }, retry_after_max_s: 0.05 });
    expect(retryVerdict(base({ kind: 'reset' }, { timeouts: t2 }))).toMatchObject({
      action: 'retry-same',
      afterMs: 20,
    });
    expect(retryVerdict(base({ kind: 'status', status: 429, retryAfterMs: 1000 }, { timeouts: t2 }))).toMatchObject({
      action: 'next-entry',
      row: 'rate-limit-long-retry-after',
    });
  });
});

describe('parseRetryAfterMs', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfterMs('2', 0)).toBe(2000);
    expect(parseRetryAfterMs('0.5', 0)).toBe(500);
    expect(parseRetryAfterMs(undefined, 0)).toBeUndefined();
    expect(parseRetryAfterMs('soon', 0)).toBeUndefined();
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
  });
});
