import { insertUsageEvents, type Db, type MysqlPool } from '@aisbf/db';
import { boundUsageEvent, type UsageEvent } from '@aisbf/core';
import { parsePayload, usageFlushPayloadSchema } from './queues';

export interface UsageFlushDeps {
  db: Db;
  /** MySQL/MariaDB: the pool under `db` (`DatabaseHandle.mysql`), so batches go through prepared statements. */
  mysql?: MysqlPool;
}

export interface UsageFlushResult {
  received: number;
  /** New rows; less than `received` when a batch is redelivered after a crash. */
  inserted: number;
}

/**
 * The `usage-flush` job (docs/architecture.md "Jobs and health"): one batch insert-or-ignore keyed by event id, so a batch
 * redelivered after a worker died between the write and the ack counts nothing twice.
 */
export async function flushUsage(deps: UsageFlushDeps, payload: unknown): Promise<UsageFlushResult> {
  const { events } = parsePayload(usageFlushPayloadSchema, payload, 'usage-flush');
  return writeUsage(deps, events);
}

export async function writeUsage(deps: UsageFlushDeps, events: ReadonlyArray<UsageEvent>): Promise<UsageFlushResult> {
  // Events of a node that predates the attempts bound are bounded here (docs/usage.md "Attempts").
  const inserted = await insertUsageEvents(deps, events.map(boundUsageEvent));
  return { received: events.length, inserted };
}
