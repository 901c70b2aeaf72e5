import type { HOURLY_SUMS, UsageHourlyTable } from './usage-aggregates';
import type { UsageRecordsTable } from './usage-records.table';

/**
 * The usage tables' columns, for the statements written by hand on the usage write path
 * (`sqlite-usage-writer.ts`, `mysql-usage-sql.ts`).
 */
/** Every column, checked by the compiler: a column added to the table type must be listed here. */
export const USAGE_RECORD_COLUMNS = Object.keys({
  id: true,
  request_id: true,
  created_at: true,
  user_id: true,
  token_id: true,
  route: true,
  provider: true,
  provider_owner_id: true,
  model: true,
  endpoint: true,
  stream: true,
  status: true,
  outcome: true,
  prompt_tokens: true,
  completion_tokens: true,
  estimated: true,
  latency_ms: true,
  ttfb_ms: true,
  attempts: true,
  autoselect_reason: true,
  cost_micros: true,
  cache_hit: true,
  condensed: true,
} satisfies Record<keyof UsageRecordsTable, true>);

/** The hourly table's key and dimensions; its sums are `HOURLY_SUMS`. */
export const USAGE_HOURLY_DIMENSIONS = Object.keys({
  bucket: true,
  dims_key: true,
  user_id: true,
  token_id: true,
  route: true,
  provider: true,
  model: true,
  status_class: true,
} satisfies Record<Exclude<keyof UsageHourlyTable, (typeof HOURLY_SUMS)[number]>, true>);
