import { discoverDepsOf, healthDepsOf, type JobProcessorDeps } from './job-processor-deps';
import type { HealthChange } from '@aisbf/bus';
import type { ConfigChange } from '@aisbf/core';
import { GatewayError } from '@aisbf/core';
import { listProviders, ownerKey, type Db } from '@aisbf/db';
import type { SecretBox } from '@aisbf/secrets';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { toBullmqConnection, toBullmqPrefix, type QueueConnection } from './bullmq-connection';
import { discoverModels, discoverModelsPayloadSchema } from './discover-models.processor';
import { checkHealth } from './health-check.processor';
import { InvalidJobPayloadError, JOB_NAMES, JOB_OPTIONS, parsePayload, QUEUES, type QueueName } from './queues';
import type { HealthPolicy } from './traffic-health';
import { flushUsage } from './usage-flush.processor';

export interface CreateWorkersOptions extends QueueConnection, JobProcessorDeps {
  /** Parallel usage batches per worker process (default 2). */
  usageConcurrency?: number;
  /** How long a job may run before another worker takes it over after a crash (default 30 s). */
  lockDurationMs?: number;
  /** How often stalled (crashed) jobs are looked for (default 30 s). */
  stalledIntervalMs?: number;
}

export interface JobWorkers {
  /** Re-creates the periodic schedules from the provider list (runs at start and every health run). */
  syncSchedules(): Promise<void>;
  /** True while every worker is connected (for /healthz). */
  running(): boolean;
  /** `force`: stop at once without waiting for active jobs (what a crash looks like to BullMQ). */
  close(force?: boolean): Promise<void>;
}

export const HEALTH_SCHEDULER_ID = 'health-check:all';
export const discoverSchedulerId = (ownerId: string | null, providerId: string): string =>
  `discover-models:${ownerKey(ownerId) || 'global'}:${providerId}`;

/**
 * BullMQ wiring for `aisbf worker` (docs/architecture.md "Jobs and health"). Schedules are job schedulers with fixed ids,
 * so N worker processes create one schedule, and one job per tick, for the whole cluster.
 */
export async function createWorkers(options: CreateWorkersOptions): Promise<JobWorkers> {
  const connection = toBullmqConnection(options.url);
  const prefix = toBullmqPrefix(options.prefix);
  const onError = options.onError ?? (() => undefined);
  const healthEveryMs = options.healthEveryMs ?? 60_000;
  const discoverEveryMs = options.discoverEveryMs ?? 6 * 3_600_000;
  const workerOptions = {
    connection,
    prefix,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
  };
  const queueOf = (name: QueueName): Queue =>
    new Queue(name, { connection, prefix, defaultJobOptions: JOB_OPTIONS[name] });
  const healthQueue = queueOf(QUEUES.healthCheck);
  const discoverQueue = queueOf(QUEUES.discoverModels);
  for (const q of [healthQueue, discoverQueue]) q.on('error', (e) => onError(e, `queue ${q.name}`));

  /** Bad payloads never succeed: fail them once instead of retrying (UnrecoverableError). */
  const guard =
    <R>(run: (job: Job) => Promise<R>) =>
    async (job: Job): Promise<R> => {
      try {
        return await run(job);
      } catch (error) {
        if (error instanceof InvalidJobPayloadError) throw new UnrecoverableError(error.message);
        if (error instanceof GatewayError && error.code === 'NOT_FOUND') throw new UnrecoverableError(error.message);
        throw error;
      }
    };

  let syncing: Promise<void> | null = null;
  const syncSchedules = async (): Promise<void> => {
    if (syncing) return syncing;
    syncing = (async () => {
      if (healthEveryMs > 0) {
        await healthQueue.upsertJobScheduler(
          HEALTH_SCHEDULER_ID,
          { every: healthEveryMs },
          { name: JOB_NAMES.healthCheck, data: {} },
        );
      }
      if (discoverEveryMs <= 0) return;
      const providers = (await listProviders(options.db)).filter((p) => p.enabled);
      const wanted = new Set<string>();
      for (const p of providers) {
        const id = discoverSchedulerId(p.ownerId, p.id);
        wanted.add(id);
        await discoverQueue.upsertJobScheduler(
          id,
          { every: discoverEveryMs },
          { name: JOB_NAMES.discoverModels, data: { ownerId: p.ownerId, providerId: p.id } },
        );
      }
      for (const scheduler of await discoverQueue.getJobSchedulers(0, -1)) {
        if (scheduler.key.startsWith('discover-models:') && !wanted.has(scheduler.key))
          await discoverQueue.removeJobScheduler(scheduler.key);
      }
    })().finally(() => {
      syncing = null;
    });
    return syncing;
  };

  const workers = [
    new Worker(
      QUEUES.usageEvents,
      guard((job) => flushUsage({ db: options.db }, job.data)),
      { ...workerOptions, concurrency: options.usageConcurrency ?? 2 },
    ),
    new Worker(
      QUEUES.discoverModels,
      guard((job) =>
        discoverModels(
          discoverDepsOf(options),
          parsePayload(discoverModelsPayloadSchema, job.data, QUEUES.discoverModels),
        ),
      ),
      { ...workerOptions, concurrency: 4 },
    ),
    new Worker(
      QUEUES.healthCheck,
      guard(async (job) => {
        const result = await checkHealth(healthDepsOf(options), job.data);
        // The periodic run also keeps the per-provider discovery schedules in step with the db.
        await syncSchedules().catch((error: unknown) => onError(error, 'sync schedules'));
        return { checked: result.checked.length, changed: result.changed };
      }),
      { ...workerOptions, concurrency: 1 },
    ),
  ];
  for (const w of workers) {
    w.on('error', (e) => onError(e, `worker ${w.name}`));
    w.on('failed', (job, e) => onError(e, `job ${w.name}/${job?.id ?? '?'} failed`));
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  await syncSchedules();

  return {
    syncSchedules,
    running: () => workers.every((w) => w.isRunning()),
    async close(force = false) {
      await Promise.all(workers.map((w) => w.close(force)));
      await Promise.all([healthQueue.close(), discoverQueue.close()]);
    },
  };
}
