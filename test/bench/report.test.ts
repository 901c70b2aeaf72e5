import { expect, it } from 'vitest';
import { combineRounds, type LoadResult } from './load';
import { percentile } from './latency';
import { renderDoc, renderTables, type BenchFigures } from './report';

const load = (rps: number, errors = 0): LoadResult => ({
  rps,
  latencyP50Ms: rps / 100,
  latencyP99Ms: rps / 10,
  errors,
  non2xx: 0,
});

it('combines rounds by median and sums their errors', () => {
  const combined = combineRounds([load(100), load(900, 2), load(300), load(200, 1)]);
  expect(combined.rps).toBe(250);
  expect(combined.rounds).toEqual([100, 900, 300, 200]);
  expect(combined.errors).toBe(3);
  expect(combineRounds([load(5), load(1), load(3)]).rps).toBe(3);
});

it('takes percentiles from sorted samples', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  expect(percentile(sorted, 50)).toBe(51);
  expect(percentile(sorted, 99)).toBe(100);
  expect(percentile([], 50)).toBeNaN();
});

it('renders the ratios against the pass-through and the targets', () => {
  const fig: BenchFigures = {
    config: { durationS: 8, rounds: 4, connections: 32, sequential: 100, streams: 1000 },
    targets: ['direct', 'pass-through', 'aisbf'],
    throughput: { nonStream: [load(3000), load(1000), load(900)], stream: [load(1000), load(500), load(400)] },
    latency: [
      { p50Ms: 0.5, p99Ms: 1, failures: 0 },
      { p50Ms: 1.0, p99Ms: 2, failures: 0 },
      { p50Ms: 1.2, p99Ms: 3, failures: 0 },
    ],
    streams: [
      {
        target: 'aisbf',
        result: {
          requested: 1000,
          open: 1000,
          idle: { rssMiB: 100, peakMiB: 100 },
          loaded: { rssMiB: 120, peakMiB: 121 },
        },
      },
    ],
    notes: ['a note'],
  };
  const text = renderTables(fig);
  expect(text).toContain('**0.90×** non-stream, **0.80×** stream (target ≥ 0.85×: not met)');
  expect(text).toContain('aisbf adds **0.700 ms** at p50 over direct; the pass-through adds 0.500 ms');
  expect(text).toContain('over direct not met; beyond the pass-through (the box-independent figure) met');
  expect(text).toContain('**120.0 MiB** (target ≤ 150 MB: met)');
  expect(text).toContain('- a note');
  // The processes are bundles run with plain node (run.ts), and the Method section says so.
  const doc = renderDoc(fig, text, new Date(0));
  expect(doc).toContain('each runs with plain `node`');
  expect(doc).not.toMatch(/run TypeScript through tsx/);
});
