import { createHash } from 'node:crypto';
import type { UsageEvent, UsageSink } from '@aisbf/core';
import { Queue } from 'bullmq';
import { createBatcher } from './batcher';
import { toBullmqConnection, toBullmqPrefix, type QueueConnection } from './bullmq-connection';
import { JOB_NAMES, JOB_OPTIONS, QUEUES, type UsageFlushPayload } from './queues';

export interface QueueUsageSinkOptions extends QueueConnection {
  /** Events per job (default 500). */
  batchSize?: number;
  /** Longest an event waits in memory before its job is added (default 250 ms). */
  flushMs?: number;
  maxBuffered?: number;
  onError?: (error: unknown, context: string) => void;
}

export interface QueueUsageSink extends UsageSink {
  /** Events not yet handed to Redis (for /metrics). */
  buffered(): number;
}

/**
 * Data-plane nodes' UsageSink in cluster mode: events are batched in memory for at most `flushMs`,
 * then added as one `usage-flush` job; from there BullMQ keeps them durable until a worker has
 * written them. The job id is derived from the batch's event ids, so re-adding a batch after an
 * ambiguous Redis failure does not create a second job (and the worker's insert-or-ignore would
 * absorb it anyway).
 */
export function createQueueUsageSink(options: QueueUsageSinkOptions): QueueUsageSink {
  const queue = new Queue<UsageFlushPayload>(QUEUES.usageEvents, {
    // While Redis is away add() waits for the reconnect; the events stay in the batcher's buffer
    // meanwhile (emit() never blocks), bounded by maxBuffered.
    connection: toBullmqConnection(options.url),
    prefix: toBullmqPrefix(options.prefix),
    defaultJobOptions: JOB_OPTIONS['usage-events'],
  });
  queue.on('error', (error) => options.onError?.(error, 'usage queue'));
  const batcher = createBatcher<UsageEvent>({
    write: async (events) => {
      const jobId = `usage-${createHash('sha256')
        .update(events.map((e) => e.id).join(','))
        .digest('hex')
        .slice(0, 32)}`;
      await queue.add(JOB_NAMES.usageFlush, { events }, { jobId });
    },
    batchSize: options.batchSize ?? 500,
    flushMs: options.flushMs ?? 250,
    maxBuffered: options.maxBuffered,
    onError: options.onError,
  });
  return {
    emit: (event) => batcher.add(event),
    flush: () => batcher.flush(),
    buffered: () => batcher.buffered(),
    async close() {
      await batcher.close();
      // Shutting down while Redis is away must not throw out of the node's close path.
      await queue.close().catch((error: unknown) => options.onError?.(error, 'usage queue close'));
    },
  };
}
