import type { Metric, Registry } from 'prom-client';

/**
 * Counters and histograms for the per-request series, registered in a prom-client `Registry` and
 * exported by it like its own metrics. Why not prom-client's classes on this path: each of their
 * `observe`/`inc` calls validates the label object, hashes it into a string and looks the series
 * up by it, and a request makes seven: ~37 µs a request against ~2.6 µs here
 * (test/bench/request-bookkeeping.bench.ts; docs/benchmarks.md "Where the time went"). Here a
 * series is found by its label values joined into one key, and recording is a bucket search and
 * two additions. Label names are fixed at creation; every series has every label.
 */
export interface SeriesCounter<L extends string> {
  readonly labelNames: readonly L[];
  /** `values` in the order of `labelNames`. */
  inc(values: readonly string[], by?: number): void;
}

export interface SeriesHistogram<L extends string> {
  readonly labelNames: readonly L[];
  /** `values` in the order of `labelNames`; a value that is not finite is not recorded. */
  observe(values: readonly string[], value: number): void;
}

interface Definition<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  registry: Registry;
}

interface Series {
  labels: Record<string, string>;
  /** Histograms: observations per bucket (not cumulative), the last one beyond every bound. */
  buckets: Float64Array | null;
  sum: number;
  count: number;
}

const SEPARATOR = '\u0000';

function seriesTable(labelNames: readonly string[], bucketCount: number | null) {
  const table = new Map<string, Series>();
  return {
    table,
    find(values: readonly string[]): Series {
      const key = values.length === 1 ? values[0]! : values.join(SEPARATOR);
      let series = table.get(key);
      if (series === undefined) {
        if (values.length !== labelNames.length)
          throw new Error(
            `expected ${labelNames.length} label values (${labelNames.join(', ')}), got ${values.length}`,
          );
        const labels: Record<string, string> = {};
        labelNames.forEach((name, i) => (labels[name] = values[i]!));
        series = { labels, buckets: bucketCount === null ? null : new Float64Array(bucketCount + 1), sum: 0, count: 0 };
        table.set(key, series);
      }
      return series;
    },
  };
}

/** One sample as the registry formats it: `metricName` for a histogram's `_bucket`, `_sum`, `_count`. */
interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/**
 * What the registry reads at scrape time: a metric's `get()` (prom-client's own metrics have the
 * same method; its typings declare `type` as an enum, while the text it writes is the string).
 */
function register(
  registry: Registry,
  definition: { name: string; help: string },
  type: 'counter' | 'histogram',
  samples: () => Sample[],
): void {
  const metric = {
    name: definition.name,
    help: definition.help,
    type,
    aggregator: 'sum',
    get: () =>
      Promise.resolve({ name: definition.name, help: definition.help, type, aggregator: 'sum', values: samples() }),
    reset: () => undefined,
  };
  registry.registerMetric(metric as unknown as Metric);
}

export function createSeriesCounter<L extends string>(definition: Definition<L>): SeriesCounter<L> {
  const { table, find } = seriesTable(definition.labelNames, null);
  register(definition.registry, definition, 'counter', () =>
    [...table.values()].map((s) => ({ labels: { ...s.labels }, value: s.sum })),
  );
  return {
    labelNames: definition.labelNames,
    inc(values, by = 1) {
      find(values).sum += by;
    },
  };
}

export function createSeriesHistogram<L extends string>(
  definition: Definition<L> & { buckets: readonly number[] },
): SeriesHistogram<L> {
  const bounds = [...definition.buckets].sort((a, b) => a - b);
  const { table, find } = seriesTable(definition.labelNames, bounds.length);
  const bucket = `${definition.name}_bucket`;
  register(definition.registry, definition, 'histogram', () =>
    [...table.values()].flatMap((s) => {
      const out: Sample[] = [];
      let cumulative = 0;
      bounds.forEach((le, i) => {
        cumulative += s.buckets![i]!;
        out.push({ labels: { ...s.labels, le }, value: cumulative, metricName: bucket });
      });
      out.push(
        { labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: bucket },
        { labels: { ...s.labels }, value: s.sum, metricName: `${definition.name}_sum` },
        { labels: { ...s.labels }, value: s.count, metricName: `${definition.name}_count` },
      );
      return out;
    }),
  );
  return {
    labelNames: definition.labelNames,
    observe(values, value) {
      if (!Number.isFinite(value)) return;
      const series = find(values);
      let i = 0;
      while (i < bounds.length && value > bounds[i]!) i++;
      const buckets = series.buckets!;
      buckets[i] = buckets[i]! + 1;
      series.sum += value;
      series.count += 1;
    },
  };
}
