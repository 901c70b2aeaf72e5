import type { StoredProvider } from '@aisbf/db';
import { describe, expect, it } from 'vitest';
import { discoveryPeriod, isDiscoveryDue } from './discovery-period';
import { createDiscoverySweep } from './discovery-sweep';

const HOUR = 3_600_000;
const EVERY = 6 * HOUR;
const T0 = 1_800_000_000_000;

const provider = (
  id: string,
  discoveredAt: number | null,
  enabled = true,
  ownerId: string | null = 'u1',
): StoredProvider => ({
  rowId: `row-${ownerId ?? 'g'}-${id}`,
  ownerId,
  id,
  type: 'openai',
  endpoint: 'http://upstream.test/v1',
  apiKeyEnc: null,
  apiKeyHint: null,
  enabled,
  adminOnly: false,
  settings: {},
  models: [{ name: 'm1', source: discoveredAt === null ? 'config' : 'discovered', discoveredAt }],
  createdAt: 0,
  updatedAt: 0,
});

describe('discoveryPeriod', () => {
  it('gives each provider periods of `everyMs` with a phase of its own, spread evenly', () => {
    const tenths = new Array<number>(10).fill(0);
    const wrong: string[] = [];
    for (let i = 0; i < 10_000; i += 1) {
      const { index, startsAt } = discoveryPeriod(`user-${i}`, 'p1', T0, EVERY);
      const within = startsAt <= T0 && T0 - startsAt < EVERY;
      const lasts =
        discoveryPeriod(`user-${i}`, 'p1', startsAt + EVERY - 1, EVERY).index === index &&
        discoveryPeriod(`user-${i}`, 'p1', startsAt + EVERY, EVERY).index === index + 1;
      if (!within || !lasts) wrong.push(`user-${i}`);
      tenths[Math.floor(((T0 - startsAt) / EVERY) * 10)]! += 1;
    }
    expect(wrong).toEqual([]);
    // 10,000 providers: their periods begin about 1,000 per tenth of the period, not all at once.
    for (const count of tenths) expect(count).toBeGreaterThan(850);
    for (const count of tenths) expect(count).toBeLessThan(1_150);
  });
});

describe('isDiscoveryDue', () => {
  const { startsAt } = discoveryPeriod('u1', 'p1', T0, EVERY);
  it('is due when never discovered, or last discovered before the current period began', () => {
    expect(isDiscoveryDue(provider('p1', null), T0, EVERY)).toBe(true);
    expect(isDiscoveryDue(provider('p1', startsAt - 1), T0, EVERY)).toBe(true);
    expect(isDiscoveryDue(provider('p1', startsAt), T0, EVERY)).toBe(false);
    expect(isDiscoveryDue(provider('p1', null, false), T0, EVERY)).toBe(false);
  });
});

describe('createDiscoverySweep', () => {
  it('hands out a provider in use once a period, forgets providers no longer in use', () => {
    const sweep = createDiscoverySweep(EVERY);
    const p1 = provider('p1', null);
    const global = provider('p1', null, true, null);
    const first = sweep.due([p1, global], T0);
    expect(first.map((d) => d.payload)).toEqual([
      { ownerId: 'u1', providerId: 'p1' },
      { ownerId: null, providerId: 'p1' },
    ]);
    expect(first[0]?.key).toMatch(/^discover-periodic:u1:p1:\d+$/);
    expect(first[1]?.key).toMatch(/^discover-periodic:global:p1:\d+$/);
    // Still undiscovered (its job is queued or failed): not handed out again this period.
    expect(sweep.due([p1, global], T0 + 60_000)).toEqual([]);
    // The next period: due again, with a new key.
    const next = sweep.due([p1], T0 + EVERY);
    expect(next.map((d) => d.payload.ownerId)).toEqual(['u1']);
    expect(next[0]?.key).not.toBe(first[0]?.key);
    // `global` left the list in use and was forgotten: back in use, it is due at once.
    expect(sweep.due([p1, global], T0 + EVERY + 1).map((d) => d.payload.ownerId)).toEqual([null]);
    // A request that failed is handed out again.
    const p2 = provider('p2', null);
    const failed = sweep.due([p1, global, p2], T0 + EVERY + 2);
    sweep.forget(failed);
    expect(sweep.due([p1, global, p2], T0 + EVERY + 3)).toEqual(failed);
  });

  it('skips a provider discovered this period (on demand or at creation)', () => {
    const sweep = createDiscoverySweep(EVERY);
    const { startsAt } = discoveryPeriod('u1', 'p1', T0, EVERY);
    expect(sweep.due([provider('p1', startsAt + 1)], T0)).toEqual([]);
  });
});
