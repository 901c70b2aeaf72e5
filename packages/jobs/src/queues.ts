import { usageEventSchema } from '@aisbf/core';
import type { DefaultJobOptions } from 'bullmq';
import { z } from 'zod';

/** Queue names are part of the cluster contract (docs/jobs.md): every role must agree on them. */
export const QUEUES = {
  discoverModels: 'discover-models',
  healthCheck: 'health-check',
  usageEvents: 'usage-events',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const JOB_NAMES = {
  discoverModels: 'discover-models',
  healthCheck: 'health-check',
  usageFlush: 'usage-flush',
} as const;

/** `providerId` set: check that one provider; omitted: every enabled provider (the periodic run). */
export const healthCheckPayloadSchema = z.object({
  ownerId: z.string().nullable().optional(),
  providerId: z.string().min(1).optional(),
});
export type HealthCheckPayload = z.infer<typeof healthCheckPayloadSchema>;

/** One batch of usage events (a data-plane node sends one job per N events or T ms). */
export const usageFlushPayloadSchema = z.object({
  events: z.array(usageEventSchema).min(1).max(10_000),
});
export type UsageFlushPayload = z.infer<typeof usageFlushPayloadSchema>;

/**
 * Retry policy per queue (docs/jobs.md). Usage batches retry for a long time: losing them loses
 * billing data, and insert-or-ignore makes every retry safe. Discovery and health retry briefly:
 * the next scheduled run comes soon anyway.
 */
export const JOB_OPTIONS: Record<QueueName, DefaultJobOptions> = {
  'discover-models': {
    attempts: 3,
    backoff: { type: 'exponential', delay: 1_000 },
    removeOnComplete: { count: 500 },
    removeOnFail: { count: 1_000 },
  },
  'health-check': {
    attempts: 2,
    backoff: { type: 'exponential', delay: 1_000 },
    removeOnComplete: { count: 100 },
    removeOnFail: { count: 500 },
  },
  'usage-events': {
    attempts: 20,
    backoff: { type: 'exponential', delay: 500 },
    // A written batch is in the database: keeping it would hold up to 500 events (~210 KB) per
    // job in Redis for nothing, and trimming by count cost Redis a deletion per completion anyway.
    removeOnComplete: true,
    removeOnFail: { count: 10_000 },
  },
};

/** A payload that can never succeed: the BullMQ wiring turns it into an UnrecoverableError. */
export class InvalidJobPayloadError extends Error {
  override readonly name = 'InvalidJobPayloadError';
}

export function parsePayload<T>(schema: z.ZodType<T>, data: unknown, queue: string): T {
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidJobPayloadError(
      `${queue}: invalid payload at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'unknown'}`,
    );
  }
  return parsed.data;
}
