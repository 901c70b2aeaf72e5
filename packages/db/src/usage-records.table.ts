import type { Selectable } from 'kysely';

/** One row per usage event; `id` is the event id, so redelivered batches insert nothing twice. */
export interface UsageRecordsTable {
  id: string;
  request_id: string;
  created_at: number;
  user_id: string;
  token_id: string | null;
  route: string;
  provider: string | null;
  provider_owner_id: string | null;
  model: string | null;
  endpoint: string;
  stream: number;
  status: number;
  outcome: string;
  prompt_tokens: number;
  completion_tokens: number;
  estimated: number;
  latency_ms: number;
  ttfb_ms: number | null;
  /** JSON array of attempts. */
  attempts: string;
  autoselect_reason: string | null;
  cost_micros: number | null;
  cache_hit: number;
  /** `<method>; <before>-><after>` when the prompt was condensed (docs/context.md), else null. */
  condensed: string | null;
}

export type UsageRecordRow = Selectable<UsageRecordsTable>;
