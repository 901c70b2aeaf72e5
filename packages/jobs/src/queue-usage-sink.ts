import { createHash } from 'node:crypto';
import type { UsageSink } from '@aisbf/core';
import { Queue } from 'bullmq';
import { createUsageBatcher, type UsageBatchingOptions } from './usage-batcher';
import { toBullmqConnection, toBullmqPrefix, type QueueConnection } from './bullmq-connection';
import { JOB_NAMES, JOB_OPTIONS, QUEUES, type UsageFlushPayload } from './queues';

/** `batchSize` is the events per job; `flushMs` defaults to 250 ms. */
export interface QueueUsageSinkOptions extends QueueConnection, UsageBatchingOptions {}

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
  const batcher = createUsageBatcher(
    options,
    async (events) => {
      const jobId = `usage-${createHash('sha256')
        .update(events.map((e) => e.id).join(','))
        .digest('hex')
        .slice(0, 32)}`;
      await queue.add(JOB_NAMES.usageFlush, { events }, { jobId });
    },
    250,
  );
  return {
    emit: (event) => batcher.add(event),
    flush: () => batcher.flush(),
    buffered: () => batcher.buffered(),
    async close() {
      await batcher.close();
      // Shutting down while Redis is away must neither throw out of the node's close path nor hang
      // it: BullMQ's close() waits for a connection that is not coming back, so it gets a second.
      const closed = queue.close().then(
        () => true,
        (error: unknown) => {
          options.onError?.(error, 'usage queue close');
          return true;
        },
      );
      const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), 1_000).unref());
      // Its disconnect() can wait for that connection too: started, not awaited.
      if (!(await Promise.race([closed, timeout])))
        void queue.disconnect().catch((error: unknown) => options.onError?.(error, 'usage queue disconnect'));
    },
  };
}
