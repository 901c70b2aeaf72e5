import { expect, it } from 'vitest';
import { watchMeasuringProcess } from './measuring-process';

it("reports the timing thread's own stalls: a blocked event loop and its garbage collections", async () => {
  const watch = watchMeasuringProcess();
  await new Promise((r) => setTimeout(r, 10));
  const blockedUntil = performance.now() + 40;
  while (performance.now() < blockedUntil); // the event loop is held for 40 ms
  let kept: number[][] = [];
  for (let i = 0; i < 200; i += 1) kept = [Array.from({ length: 50_000 }, (_, j) => j + i)]; // young-generation garbage
  await new Promise((r) => setTimeout(r, 10));
  const figures = watch.stop();

  expect(kept.length).toBe(1);
  expect(figures.loopDelayMaxMs).toBeGreaterThanOrEqual(35);
  expect(figures.loopDelayP99Ms).toBeLessThanOrEqual(figures.loopDelayMaxMs);
  expect(figures.gcMs).toBeGreaterThan(0);
  expect(figures.gcMaxMs).toBeGreaterThan(0);
  expect(figures.gcMaxMs).toBeLessThanOrEqual(figures.gcMs);
});
