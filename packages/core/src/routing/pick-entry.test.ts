import { describe, expect, it } from 'vitest';
import { pickEntry, type PickCandidate } from './pick-entry';

/** Mulberry32: a seeded rng so the weighted split is reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const opts = { strategy: 'priority' as const, turn: 0, random: () => 0, allowEarliestRecovery: true };
const c = (weight: number, status: PickCandidate['status'] = 'available', recoversAt?: number): PickCandidate =>
  recoversAt === undefined ? { weight, status } : { weight, status, recoversAt };

describe('pickEntry priority', () => {
  it('the highest weight serves everything while available', () => {
    for (let turn = 0; turn < 10; turn++)
      expect(pickEntry([c(3), c(6), c(1)], { ...opts, turn })).toEqual({ ok: true, index: 1, reason: 'available' });
  });

  it('equal weights take turns', () => {
    const picks = [0, 1, 2, 3].map((turn) => pickEntry([c(6), c(6), c(1)], { ...opts, turn }));
    expect(picks.map((p) => p.ok && p.index)).toEqual([0, 1, 0, 1]);
  });

  it.each(['cooling', 'saturated', 'excluded'] as const)('a lower tier serves while the higher one is %s', (status) => {
    expect(pickEntry([c(6, status, 10), c(3), c(1)], opts)).toEqual({ ok: true, index: 1, reason: 'available' });
  });

  it('all cooling: the earliest to recover is tried once, then none', () => {
    const cands = [c(6, 'cooling', 500), c(3, 'cooling', 200), c(1, 'excluded')];
    expect(pickEntry(cands, opts)).toEqual({ ok: true, index: 1, reason: 'earliest-recovery' });
    expect(pickEntry(cands, { ...opts, allowEarliestRecovery: false })).toEqual({
      ok: false,
      reason: 'all-cooling',
      retryAt: 200,
    });
  });

  it('never picks an entry whose probe is in flight (no recovery time) as the earliest', () => {
    expect(pickEntry([c(6, 'cooling'), c(3, 'cooling', 900)], opts)).toEqual({
      ok: true,
      index: 1,
      reason: 'earliest-recovery',
    });
    expect(pickEntry([c(6, 'cooling')], opts)).toEqual({ ok: false, reason: 'all-cooling', retryAt: null });
  });

  it('reports saturation and emptiness', () => {
    expect(pickEntry([c(6, 'saturated'), c(3, 'excluded')], opts)).toEqual({
      ok: false,
      reason: 'all-saturated',
      retryAt: null,
    });
    expect(pickEntry([c(6, 'excluded')], opts)).toEqual({ ok: false, reason: 'none-usable', retryAt: null });
    expect(pickEntry([], opts)).toEqual({ ok: false, reason: 'none-usable', retryAt: null });
  });
});

describe('pickEntry weighted', () => {
  it('6:3:1 serves about 60/30/10 % over 10,000 picks (seeded)', () => {
    const random = seeded(42);
    const counts = [0, 0, 0];
    for (let i = 0; i < 10_000; i++) {
      const r = pickEntry([c(6), c(3), c(1)], { ...opts, strategy: 'weighted', random });
      if (r.ok) counts[r.index]! += 1;
    }
    expect(counts[0]! / 10_000).toBeCloseTo(0.6, 1);
    expect(counts[1]! / 10_000).toBeCloseTo(0.3, 1);
    expect(counts[2]! / 10_000).toBeCloseTo(0.1, 1);
  });

  it('skips unavailable entries and maps rng edges', () => {
    expect(pickEntry([c(6, 'cooling', 1), c(3), c(1)], { ...opts, strategy: 'weighted', random: () => 0 })).toEqual({
      ok: true,
      index: 1,
      reason: 'available',
    });
    expect(pickEntry([c(6), c(3), c(1)], { ...opts, strategy: 'weighted', random: () => 0.999999 })).toEqual({
      ok: true,
      index: 2,
      reason: 'available',
    });
    expect(pickEntry([c(0), c(0)], { ...opts, strategy: 'weighted', random: () => 0.75 })).toEqual({
      ok: true,
      index: 1,
      reason: 'available',
    });
  });
});
