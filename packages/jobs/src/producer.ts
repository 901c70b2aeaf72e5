/**
 * The producing side of the queues, for processes that must not load the database layer: a
 * data-plane node (docs/architecture.md "Processes and ports": Redis only, never MySQL) adds usage jobs and nothing else.
 * `@aisbf/jobs/producer` imports bullmq and core only; `@aisbf/jobs` (processors, workers) also
 * loads @aisbf/db with its drivers, ~30 MiB of a node's RSS for code it never runs.
 */
export { createQueueUsageSink, type QueueUsageSink, type QueueUsageSinkOptions } from './queue-usage-sink';
export { QUEUES, JOB_NAMES, type UsageFlushPayload } from './queues';
export { createUsageSpool, type UsageSpool, type UsageSpoolOptions } from './usage-spool';
