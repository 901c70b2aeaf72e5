/**
 * Per-(owner scope, provider, model) circuit state as a pure reducer (docs/architecture.md "Rotations"):
 * `allowed_fails` consecutive failures open it for `error_cooldown`; a refused connection or a 429
 * without a short Retry-After opens it at once (Retry-After sets the length); a health mark opens
 * it until its evidence time plus `error_cooldown`; once the time is up, exactly one live request
 * probes it (half-open); success closes it, a failed probe re-opens it.
 * A success only counts when its attempt was sent after the cooldown opened: a request already in
 * flight when another one (or another node) opened it says nothing about the entry since.
 */
export interface CooldownState {
  /** Consecutive failures since the last success. */
  readonly failures: number;
  /** Epoch ms until which the entry is skipped; null while closed. */
  readonly openUntil: number | null;
  /** A half-open probe is in flight: other requests keep skipping the entry. */
  readonly probing: boolean;
  /** Epoch ms of the last opening (null while closed). */
  readonly openedAt: number | null;
}

export type CooldownEvent =
  /** `startedAt`: when the attempt that succeeded was sent. */
  | { type: 'success'; startedAt: number }
  /** A failure that counts towards `allowedFails`. */
  | { type: 'failure'; allowedFails: number; cooldownMs: number }
  /** A failure that opens the circuit at once (refused connection, 429), for `cooldownMs`. */
  | { type: 'open'; cooldownMs: number }
  /**
   * Another node opened it (CooldownSync), or the health job marked it (`openedAt`: its evidence
   * time, so any success sent after that evidence closes it); never shortens a longer cooldown.
   */
  | { type: 'remote-open'; until: number; openedAt?: number }
  /** The request that will probe a half-open entry has been dispatched. */
  | { type: 'probe-start' }
  /** The probe ended without a verdict on the entry (client went away): let the next request probe. */
  | { type: 'probe-cancel' };

export type CooldownAvailability =
  | { state: 'closed' }
  | { state: 'open'; until: number }
  /** Cooldown over, nobody probing: the next request may go (and must send `probe-start`). */
  | { state: 'half-open' }
  /** Cooldown over, a probe is in flight: skip, recovery expected soon. */
  | { state: 'probing' };

export const CLOSED_COOLDOWN: CooldownState = Object.freeze({
  failures: 0,
  openUntil: null,
  probing: false,
  openedAt: null,
});

export function reduceCooldown(state: CooldownState, event: CooldownEvent, now: number): CooldownState {
  switch (event.type) {
    case 'success':
      if (state.openedAt !== null && event.startedAt < state.openedAt) return state;
      return state === CLOSED_COOLDOWN ? state : CLOSED_COOLDOWN;
    case 'failure': {
      const failures = state.failures + 1;
      // A failed probe re-opens at once: the entry just proved it is still down.
      const wasProbe = state.openUntil !== null;
      if (wasProbe || failures >= event.allowedFails)
        return { failures, openUntil: now + event.cooldownMs, probing: false, openedAt: now };
      return { failures, openUntil: null, probing: false, openedAt: null };
    }
    case 'open':
      return {
        failures: state.failures + 1,
        openUntil: Math.max(now + event.cooldownMs, state.openUntil ?? 0),
        probing: false,
        openedAt: now,
      };
    case 'remote-open':
      if (event.until <= now || (state.openUntil !== null && state.openUntil >= event.until)) return state;
      return { failures: state.failures, openUntil: event.until, probing: false, openedAt: event.openedAt ?? now };
    case 'probe-start':
      return { ...state, probing: true };
    case 'probe-cancel':
      return state.probing ? { ...state, probing: false } : state;
  }
}

export function cooldownAvailability(state: CooldownState, now: number): CooldownAvailability {
  if (state.openUntil === null) return { state: 'closed' };
  if (now < state.openUntil) return { state: 'open', until: state.openUntil };
  return state.probing ? { state: 'probing' } : { state: 'half-open' };
}
