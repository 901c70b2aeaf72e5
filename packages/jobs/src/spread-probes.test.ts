import { describe, expect, it } from 'vitest';
import { spreadRuns } from './spread-probes';

describe('spreadRuns', () => {
  it('starts each run at its jittered offset, in offset order, never more than the concurrency at once', async () => {
    const offsets = [0.9, 0.1, 0.5, 0.3];
    let next = 0;
    const started: Array<{ item: string; at: number }> = [];
    let inFlight = 0;
    let peak = 0;
    const t0 = Date.now();
    const results = await spreadRuns(
      ['a', 'b', 'c', 'd'],
      async (item) => {
        started.push({ item, at: Date.now() - t0 });
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 30));
        inFlight -= 1;
        return item.toUpperCase();
      },
      { spreadMs: 200, concurrency: 2, random: () => offsets[next++]! },
    );
    expect(results).toEqual(['A', 'B', 'C', 'D']); // the items' order, whatever the start order
    expect(started.map((s) => s.item)).toEqual(['b', 'd', 'c', 'a']);
    // 'a' drew 0.9 of 200 ms: it cannot start before 180 ms.
    expect(started.find((s) => s.item === 'a')!.at).toBeGreaterThanOrEqual(175);
    expect(peak).toBeLessThanOrEqual(2);
  });
});
