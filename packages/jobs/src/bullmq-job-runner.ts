import { GatewayError } from '@aisbf/core';
import { Queue, QueueEvents } from 'bullmq';
import { toBullmqConnection, toBullmqPrefix, type QueueConnection } from './bullmq-connection';
import {
  discoverModelsPayloadSchema,
  type DiscoverModelsPayload,
  type ModelDiscovery,
} from './discover-models.processor';
import { JOB_NAMES, JOB_OPTIONS, QUEUES } from './queues';

export interface BullmqJobRunnerOptions extends QueueConnection {
  /** How long `discoverModels` waits for a worker (default 30 s). */
  timeoutMs?: number;
  onError?: (error: unknown, context: string) => void;
}

/** Structurally the control plane's `JobRunner` port. */
export interface BullmqJobRunner {
  discoverModels(payload: DiscoverModelsPayload): Promise<ModelDiscovery>;
  /** Enqueues a discovery nobody waits for (a provider was created or changed); errors go to `onError`. */
  discoverSoon(payload: DiscoverModelsPayload): void;
  close(): Promise<void>;
}

const modelDiscoveryOf = (value: unknown): ModelDiscovery | null => {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
  return strings(v['models']) && strings(v['added']) && strings(v['removed'])
    ? { models: v['models'], added: v['added'], removed: v['removed'] }
    : null;
};

/**
 * Control-plane side of "Get Models" in cluster mode: enqueue, then wait for the worker's answer.
 * Concurrent requests for the same provider share one job (BullMQ deduplication by provider), so
 * a user clicking twice, or two admins, cause one upstream call.
 */
export function createBullmqJobRunner(options: BullmqJobRunnerOptions): BullmqJobRunner {
  const connection = toBullmqConnection(options.url);
  const prefix = toBullmqPrefix(options.prefix);
  const queue = new Queue(QUEUES.discoverModels, { connection, prefix });
  const events = new QueueEvents(QUEUES.discoverModels, { connection, prefix });
  queue.on('error', (e) => options.onError?.(e, 'discover queue'));
  events.on('error', (e) => options.onError?.(e, 'discover queue events'));
  const ready = events.waitUntilReady();
  // Shared with "Get Models": a click while this one waits joins it instead of adding a second call.
  const dedupId = (data: DiscoverModelsPayload): string => `discover:${data.ownerId ?? 'global'}:${data.providerId}`;
  return {
    discoverSoon(payload) {
      const data = discoverModelsPayloadSchema.parse(payload);
      queue
        .add(JOB_NAMES.discoverModels, data, {
          ...JOB_OPTIONS[QUEUES.discoverModels],
          deduplication: { id: dedupId(data) },
        })
        .catch((error: unknown) => options.onError?.(error, `discover ${data.providerId}`));
    },
    async discoverModels(payload) {
      const data = discoverModelsPayloadSchema.parse(payload);
      await ready;
      const job = await queue.add(JOB_NAMES.discoverModels, data, {
        // A user waits for this one: one quick retry, not the scheduled runs' backoff.
        attempts: 2,
        backoff: { type: 'fixed', delay: 250 },
        removeOnComplete: { age: 3_600 },
        removeOnFail: { age: 24 * 3_600 },
        deduplication: { id: dedupId(data) },
      });
      const timeoutMs = options.timeoutMs ?? 30_000;
      let result: unknown;
      try {
        result = await job.waitUntilFinished(events, timeoutMs);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (/timed out/i.test(message)) {
          throw new GatewayError(
            'UPSTREAM_TIMEOUT',
            `model discovery for "${data.providerId}" did not finish within ${Math.round(timeoutMs / 1000)} s (job ${job.id ?? '?'})`,
          );
        }
        throw new GatewayError('UPSTREAM_ERROR', message);
      }
      const discovery = modelDiscoveryOf(result);
      if (!discovery) throw new GatewayError('INTERNAL', 'model discovery returned an unexpected result');
      return discovery;
    },
    async close() {
      await Promise.all([queue.close(), events.close()]);
    },
  };
}
