export function formatNumber(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  if (Math.abs(n) >= 1_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  if (Math.abs(n) >= 10_000) return `${(n / 1000).toFixed(1)}k`;
  return String(Math.round(n * 100) / 100);
}

/** ISO strings or epoch milliseconds. */
export function formatDate(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '–';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : d.toLocaleString();
}

/**
 * costMicros are millionths of the currency unit. A request served by a model without a price adds
 * nothing to `costMicros` but counts in `unpricedRequests`: a total of 0 with unpriced requests is
 * "unknown", never "0.0000", and a partial total says it is partial.
 */
export function formatCost(micros: number | null | undefined, unpricedRequests = 0): string {
  if (unpricedRequests > 0 && (micros === null || micros === undefined || micros === 0)) return 'not priced';
  if (micros === null || micros === undefined) return '–';
  const amount = (micros / 1_000_000).toFixed(4);
  return unpricedRequests > 0 ? `${amount} + ${unpricedRequests} unpriced` : amount;
}
