import { describe, expect, it } from 'vitest';
import { formatCost } from './format';

describe('formatCost', () => {
  it('never shows 0.0000 for requests that have no price', () => {
    expect(formatCost(0, 38)).toBe('not priced');
    expect(formatCost(null, 38)).toBe('not priced');
    expect(formatCost(1_500, 1)).toBe('0.0015 + 1 unpriced');
  });

  it('shows priced totals as amounts, and nothing known as a dash', () => {
    expect(formatCost(1_234_500)).toBe('1.2345');
    expect(formatCost(0, 0)).toBe('0.0000');
    expect(formatCost(null)).toBe('–');
  });
});
