import { describe, expect, it } from 'vitest';
import { CLOSED_COOLDOWN, cooldownAvailability, reduceCooldown, type CooldownState } from './cooldown';

const fail = { type: 'failure', allowedFails: 3, cooldownMs: 60_000 } as const;

describe('reduceCooldown', () => {
  it('opens after allowed_fails consecutive failures, not before', () => {
    let s: CooldownState = CLOSED_COOLDOWN;
    s = reduceCooldown(s, fail, 1000);
    s = reduceCooldown(s, fail, 2000);
    expect(cooldownAvailability(s, 2000)).toEqual({ state: 'closed' });
    s = reduceCooldown(s, fail, 3000);
    expect(cooldownAvailability(s, 3000)).toEqual({ state: 'open', until: 63_000 });
  });

  it('a success in between resets the count', () => {
    let s = reduceCooldown(reduceCooldown(CLOSED_COOLDOWN, fail, 0), fail, 1);
    s = reduceCooldown(s, { type: 'success', startedAt: 2 }, 2);
    s = reduceCooldown(reduceCooldown(s, fail, 3), fail, 4);
    expect(cooldownAvailability(s, 5).state).toBe('closed');
  });

  it('opens at once for refused connections and 429s, with the given length', () => {
    const s = reduceCooldown(CLOSED_COOLDOWN, { type: 'open', cooldownMs: 7000 }, 100);
    expect(cooldownAvailability(s, 7099)).toEqual({ state: 'open', until: 7100 });
  });

  it('lets exactly one probe through after expiry; success closes, failure re-opens', () => {
    const open = reduceCooldown(CLOSED_COOLDOWN, { type: 'open', cooldownMs: 1000 }, 0);
    expect(cooldownAvailability(open, 1000)).toEqual({ state: 'half-open' });
    const probing = reduceCooldown(open, { type: 'probe-start' }, 1000);
    expect(cooldownAvailability(probing, 1001)).toEqual({ state: 'probing' });
    expect(cooldownAvailability(reduceCooldown(probing, { type: 'success', startedAt: 1000 }, 1100), 1100)).toEqual({
      state: 'closed',
    });
    // One failed probe re-opens at once, even with allowed_fails = 3.
    const reopened = reduceCooldown(probing, fail, 1100);
    expect(cooldownAvailability(reopened, 1100)).toEqual({ state: 'open', until: 61_100 });
    expect(cooldownAvailability(reduceCooldown(probing, { type: 'probe-cancel' }, 1100), 1100)).toEqual({
      state: 'half-open',
    });
  });

  it('remote opens extend but never shorten', () => {
    const s = reduceCooldown(CLOSED_COOLDOWN, { type: 'open', cooldownMs: 10_000 }, 0);
    expect(reduceCooldown(s, { type: 'remote-open', until: 5000 }, 1)).toBe(s);
    expect(cooldownAvailability(reduceCooldown(s, { type: 'remote-open', until: 20_000 }, 1), 1)).toEqual({
      state: 'open',
      until: 20_000,
    });
    expect(reduceCooldown(CLOSED_COOLDOWN, { type: 'remote-open', until: 5 }, 10)).toBe(CLOSED_COOLDOWN);
  });

  it('a success sent before the cooldown opened leaves it open (a node that had not heard yet)', () => {
    // A request went out at 100; at 150 another node's 429 opened the cooldown here; at 200 the
    // request came back fine. The entry stays skipped: the success predates what opened it.
    const open = reduceCooldown(CLOSED_COOLDOWN, { type: 'remote-open', until: 60_000 }, 150);
    expect(reduceCooldown(open, { type: 'success', startedAt: 100 }, 200)).toBe(open);
    // An attempt sent after the opening (a probe, or the earliest-recovery try) closes it.
    expect(cooldownAvailability(reduceCooldown(open, { type: 'success', startedAt: 150 }, 300), 300)).toEqual({
      state: 'closed',
    });
    const local = reduceCooldown(CLOSED_COOLDOWN, { type: 'open', cooldownMs: 1000 }, 50);
    expect(reduceCooldown(local, { type: 'success', startedAt: 40 }, 60)).toBe(local);
  });

  it('a health mark is dated by its evidence: any success sent after it closes the entry', () => {
    // The health job saw the last failure at 1000 and announced it at 5000; cooldown 30 s.
    const marked = reduceCooldown(CLOSED_COOLDOWN, { type: 'remote-open', until: 31_000, openedAt: 1000 }, 5000);
    expect(cooldownAvailability(marked, 30_999)).toEqual({ state: 'open', until: 31_000 });
    expect(cooldownAvailability(marked, 31_000)).toEqual({ state: 'half-open' });
    // Another node's probe, sent at 2000 (after the evidence), succeeded: closed here too.
    expect(reduceCooldown(marked, { type: 'success', startedAt: 2000 }, 5001)).toBe(CLOSED_COOLDOWN);
  });
});
