import { expect, it } from 'vitest';
import { percentileOf, renderScale, type ScaleReport } from './scale-report';

const stalls = (p99: number, max: number, gc: number, gcMax: number) => ({
  loopDelayP99Ms: p99,
  loopDelayMaxMs: max,
  gcMs: gc,
  gcMaxMs: gcMax,
});

const report: ScaleReport = {
  at: '2026-12-06T19:00:00.000Z',
  commit: 'abc1234',
  loadAverage: [1, 2, 3],
  users: 1_000,
  seed: { users: 1_000, rows: 8_000, ms: 200 },
  controlBootMs: 1_500,
  controlRestartMs: 900,
  nodes: [{ bootMs: 700, rssBootMiB: 100, rssServedMiB: 120, peakMiB: 140 }],
  served: 699,
  serveS: 2.4,
  propagation: Array.from({ length: 100 }, (_, i) => i + 1),
  changesPlanned: 100,
  changeFailure: null,
  background: 2_000,
  backgroundFailed: 0,
  propagationS: 8,
  cold: { firsts: [2, 3], added: [0.5, 1.5] },
  bench: { propagation: stalls(6.9, 90, 269, 89), cold: stalls(8.3, 23, 181, 22) },
  revoke: { ms: 3.7, refusedOnBoth: true, failure: null },
  totalS: 13,
};

it("shows the bench's own stalls beside the figures they can inflate, and the background rate", () => {
  const text = renderScale(report);
  expect(text).toContain('(2000 requests served meanwhile, 250/s)');
  expect(text).toContain('propagation 6.9 ms / 90 ms, GC 269 ms / 89 ms; cold users 8.3 ms / 23 ms, GC 181 ms / 22 ms');
});

it('takes the p99 at rank floor(0.99 n) + 1: of 100 samples the largest, of 300 the third largest', () => {
  expect(percentileOf(report.propagation, 99)).toBe(100);
  expect(
    percentileOf(
      Array.from({ length: 300 }, (_, i) => i + 1),
      99,
    ),
  ).toBe(298);
  expect(percentileOf([], 99)).toBeNaN();
});
