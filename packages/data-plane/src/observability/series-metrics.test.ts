import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createSeriesCounter, createSeriesHistogram } from './series-metrics';

/** Each sample line with its labels sorted: prom-client and the series may order them differently. */
function samples(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^(\w+)(?:\{(.*)\})? (.+)$/.exec(line)!;
      const labels = (match[2] ?? '').split(',').filter(Boolean).sort().join(',');
      return `${match[1]}{${labels}} ${match[3]}`;
    })
    .sort();
}

const BUCKETS = [0.01, 0.1, 1, 10];
const VALUES = [0, 0.01, 0.0100001, 0.5, 1, 3, 10, 11, 1e6, Number.NaN];
const LABELS = [
  ['chat', 'r/a', 'p', 'm'],
  ['chat', 'r/"quoted"\\', 'p', 'm'],
  ['embeddings', 'r/a', 'p', 'm2'],
] as const;
const NAMES = ['op', 'route', 'provider', 'model'] as const;

describe('series metrics', () => {
  it('a histogram scrapes exactly like prom-client’s for the same observations (buckets, +Inf, sum, count, escaping)', async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const reference = new Histogram({
      name: 'h',
      help: 'help',
      labelNames: NAMES,
      buckets: BUCKETS,
      registers: [theirs],
    });
    const series = createSeriesHistogram({
      name: 'h',
      help: 'help',
      labelNames: NAMES,
      buckets: BUCKETS,
      registry: ours,
    });
    for (const [i, value] of VALUES.entries()) {
      const values = LABELS[i % LABELS.length]!;
      if (Number.isFinite(value)) reference.observe(Object.fromEntries(NAMES.map((n, k) => [n, values[k]!])), value);
      series.observe(values, value);
    }
    const expected = await theirs.metrics();
    const actual = await ours.metrics();
    expect(samples(actual)).toEqual(samples(expected));
    expect(actual.split('\n').slice(0, 2)).toEqual(expected.split('\n').slice(0, 2));
    expect(samples(actual).length).toBe(LABELS.length * (BUCKETS.length + 3));
  });

  it('a counter scrapes like prom-client’s, and refuses a series with a label missing', async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const reference = new Counter({ name: 'c_total', help: 'help', labelNames: ['a', 'b'], registers: [theirs] });
    const series = createSeriesCounter({ name: 'c_total', help: 'help', labelNames: ['a', 'b'], registry: ours });
    for (const [a, b, by] of [
      ['x', '200', 1],
      ['x', '200', 2],
      ['y', '500', 1],
    ] as const) {
      reference.inc({ a, b }, by);
      series.inc([a, b], by);
    }
    expect(samples(await ours.metrics())).toEqual(samples(await theirs.metrics()));
    expect(() => series.inc(['only-one'])).toThrow(/expected 2 label values/);
  });
});
