import { describe, expect, it } from 'vitest';
import type { UsageAttempt } from '../usage-event';
import { boundAttempts, MAX_RECORDED_ATTEMPTS } from './bound-attempts';

const attempt = (i: number): UsageAttempt => ({
  provider: `p${i}`,
  model: 'm',
  status: 429,
  outcome: 'rate_limited',
  latencyMs: i,
});

describe('boundAttempts', () => {
  it('keeps a list within the bound as it is', () => {
    const list = Array.from({ length: MAX_RECORDED_ATTEMPTS }, (_, i) => attempt(i));
    expect(boundAttempts(list)).toBe(list);
  });

  it('keeps the first attempts and the last one of a longer list', () => {
    const list = Array.from({ length: 1000 }, (_, i) => attempt(i));
    const kept = boundAttempts(list);
    expect(kept).toHaveLength(MAX_RECORDED_ATTEMPTS);
    expect(kept.map((a) => a.provider)).toEqual([
      ...Array.from({ length: MAX_RECORDED_ATTEMPTS - 1 }, (_, i) => `p${i}`),
      'p999',
    ]);
    expect(list).toHaveLength(1000);
  });
});
