import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeCostMicros, formatCost } from './compute-cost-micros';

describe('computeCostMicros', () => {
  it('prices prompt and completion per million tokens', () => {
    // 1000 prompt tokens at 3/M + 500 completion at 15/M = 0.003 + 0.0075 = 0.0105
    expect(computeCostMicros({ prompt: 3, completion: 15 }, { promptTokens: 1000, completionTokens: 500 })).toBe(
      10_500,
    );
  });

  it('bills cached prompt tokens at the cached price, else at the prompt price', () => {
    expect(
      computeCostMicros(
        { prompt: 2, completion: 8, cached_prompt: 0.5 },
        { promptTokens: 1000, completionTokens: 0, cachedPromptTokens: 400 },
      ),
    ).toBe(600 * 2 + 400 * 0.5);
    expect(
      computeCostMicros(
        { prompt: 2, completion: 8 },
        { promptTokens: 1000, completionTokens: 0, cachedPromptTokens: 400 },
      ),
    ).toBe(2000);
  });

  it('is null (flagged) without a price, never a silent 0', () => {
    expect(computeCostMicros(undefined, { promptTokens: 10, completionTokens: 10 })).toBeNull();
    expect(computeCostMicros({}, { promptTokens: 0, completionTokens: 0 })).toBeNull();
    // A completion price is missing and completion tokens were used.
    expect(computeCostMicros({ prompt: 1 }, { promptTokens: 10, completionTokens: 5 })).toBeNull();
    // ... but a priced model with zero tokens of the unpriced kind is fine (embeddings).
    expect(computeCostMicros({ prompt: 1 }, { promptTokens: 10, completionTokens: 0 })).toBe(10);
  });

  it('is additive and never negative', () => {
    fc.assert(
      fc.property(
        fc.nat(1e6),
        fc.nat(1e6),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (p, c, pp, cp) => {
          const whole = computeCostMicros({ prompt: pp, completion: cp }, { promptTokens: p, completionTokens: c })!;
          const a = computeCostMicros({ prompt: pp, completion: cp }, { promptTokens: p, completionTokens: 0 })!;
          const b = computeCostMicros({ prompt: pp, completion: cp }, { promptTokens: 0, completionTokens: c })!;
          expect(whole).toBeGreaterThanOrEqual(0);
          expect(Math.abs(whole - (a + b))).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});

describe('formatCost', () => {
  it('formats micros as currency units', () => {
    expect(formatCost(123)).toBe('0.000123');
    expect(formatCost(10_500)).toBe('0.010500');
    expect(formatCost(2_000_001)).toBe('2.000001');
    expect(formatCost(0)).toBe('0.000000');
    expect(formatCost(null)).toBe('unpriced');
  });
});
