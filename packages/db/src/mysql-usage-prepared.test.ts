import { describe, expect, it } from 'vitest';
import { preparedRowCounts } from './mysql-usage-prepared';

describe('preparedRowCounts', () => {
  it('splits every chunk size into full chunks and powers of two: ten shapes in all', () => {
    const shapes = new Set<number>();
    for (let rows = 1; rows <= 1_234; rows++) {
      const counts = preparedRowCounts(rows);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(rows);
      // Largest first, so a full chunk is one statement and the common sizes come first.
      expect([...counts].sort((a, b) => b - a)).toEqual(counts);
      for (const c of counts) shapes.add(c);
    }
    expect([...shapes].sort((a, b) => a - b)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 500]);
    expect(preparedRowCounts(500)).toEqual([500]);
    expect(preparedRowCounts(437)).toEqual([256, 128, 32, 16, 4, 1]);
    expect(preparedRowCounts(0)).toEqual([]);
  });
});
