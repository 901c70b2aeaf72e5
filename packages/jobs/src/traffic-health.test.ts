import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH_POLICY, scoreTraffic, type TrafficSample } from './traffic-health';

const sample = (at: number, failed: boolean, model = 'm1', connection = false): TrafficSample => ({
  at,
  ownerId: null,
  providerId: 'p',
  model,
  failed,
  connection,
  latencyMs: failed ? 0 : 100,
});

describe('scoreTraffic', () => {
  it('weights recent failures fully and lets old ones fade by half-life', () => {
    const now = 1_000_000;
    const policy = { halfLifeMs: 60_000 };
    const fresh = scoreTraffic([sample(now, true), sample(now, true), sample(now, false)], now, policy).get('/p');
    expect(fresh?.errorRatio).toBeCloseTo(2 / 3);
    expect(fresh?.weight).toBeCloseTo(3);
    // The same failures two half-lives old, and one fresh success: the success dominates.
    const faded = scoreTraffic(
      [sample(now - 120_000, true), sample(now - 120_000, true), sample(now, false)],
      now,
      policy,
    ).get('/p');
    expect(faded?.weight).toBeCloseTo(1.5);
    expect(faded?.errorRatio).toBeCloseTo(0.5 / 1.5);
    expect(faded?.latencyMs).toBeCloseTo(100);
  });

  it('keeps providers and models apart', () => {
    const now = 10;
    const scores = scoreTraffic(
      [sample(now, true, 'a'), sample(now, false, 'b'), { ...sample(now, true), ownerId: 'u1' }],
      now,
      DEFAULT_HEALTH_POLICY,
    );
    expect(scores.get('/p')?.models).toEqual({
      a: { weight: 1, errorRatio: 1, lastFailureAt: now },
      b: { weight: 1, errorRatio: 0, lastFailureAt: null },
    });
    expect(scores.get('u1/p')?.errorRatio).toBe(1);
  });

  it('only connection-level faults count towards the provider as a whole', () => {
    const now = 1_000_000;
    const broken = Array.from({ length: 100 }, (_, i) => sample(now - i * 100, true, 'broken'));
    const refused = [sample(now - 50, true, 'fine', true), sample(now - 20, true, 'other', true)];
    const score = scoreTraffic([...broken, sample(now, false, 'fine'), ...refused], now, { halfLifeMs: 60_000 }).get(
      '/p',
    );
    expect(score?.errorRatio).toBeGreaterThan(0.9);
    expect(score?.connectionRatio).toBeLessThan(0.05);
    expect(score?.lastConnectionFailureAt).toBe(now - 20);
    expect(score?.models['broken']?.lastFailureAt).toBe(now);
    expect(score?.models['fine']?.errorRatio).toBeCloseTo(0.5, 1);
  });
});
