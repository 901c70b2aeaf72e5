import { describe, expect, it } from 'vitest';
import { condenseAt } from './condense-at';

describe('condenseAt', () => {
  it('starts condensing at the percent of the window when that is below the room', () => {
    expect(condenseAt(3_500, 4_000, 50)).toBe(2_000);
    expect(condenseAt(127_000, 128_000, 80)).toBe(102_400);
  });

  it('never lets a prompt pass the room: a high percent keeps the room', () => {
    expect(condenseAt(3_500, 4_000, 95)).toBe(3_500);
  });

  it('is the room without a window, without a percent, or at 100', () => {
    expect(condenseAt(3_500, undefined, 50)).toBe(3_500);
    expect(condenseAt(3_500, 4_000, undefined)).toBe(3_500);
    expect(condenseAt(3_500, 4_000, 100)).toBe(3_500);
  });
});
