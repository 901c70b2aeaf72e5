import { discoverDepsOf, healthDepsOf, type JobProcessorDeps } from './job-processor-deps';
import type { HealthChange } from '@aisbf/bus';
import type { ConfigChange } from '@aisbf/core';
import { GatewayError } from '@aisbf/core';
import type { Db, MysqlPool } from '@aisbf/db';
import type { SecretBox } from '@aisbf/secrets';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { toBullmqConnection, toBullmqPrefix, type QueueConnection } from './bullmq-connection';
import { discoverModels, discoverModelsPayloadSchema } from './discover-models.processor';
import { checkHealth, type HealthCheckResult } from './health-check.processor';
import { createDiscoverySweep } from './discovery-sweep';
import { removeLegacyDiscoverSchedulers } from './remove-legacy-discover-schedulers';
import { InvalidJobPayloadError, JOB_NAMES, JOB_OPTIONS, parsePayload, QUEUES, type QueueName } from './queues';
import type { HealthPolicy } from './traffic-health';
import { flushUsage } from './usage-flush.processor';

export interface CreateWorkersOptions extends QueueConnection, JobProcessorDeps {
  /**
   * MySQL/MariaDB: the pool under `db` (`DatabaseHandle.mysql`): usage batches are then written
   * through prepared statements (docs/usage.md "Aggregates and retention").
   */
  mysql?: MysqlPool;
  /** Parallel usage batches per worker process (default 2). */
  usageConcurrency?: number;
  /** How long a job may run before another worker takes it over after a crash (default 30 s). */
  lockDurationMs?: number;
  /** How often stalled (crashed) jobs are looked for (default 30 s). */
  stalledIntervalMs?: number;
}

export interface JobWorkers {
  /** Upserts the health scheduler (at start; idempotent across workers). */
  syncSchedules(): Promise<void>;
  /** Legacy per-provider discovery schedulers removed by this worker's start (docs/jobs.md "Discovery follows use"). */
  legacySchedulersRemoved: number;
  /** True while every worker is connected (for /healthz). */
  running(): boolean;
  /** `force`: stop at once without waiting for active jobs (what a crash looks like to BullMQ). */
  close(force?: boolean): Promise<void>;
}

export const HEALTH_SCHEDULER_ID = 'health-check:all';

/** Periodic discoveries due in one health run start at most this far apart on average, within `DISCOVER_SPREAD_MS`. */
const DISCOVER_GAP_MS = 1_000;
const DISCOVER_SPREAD_MS = 5 * 60_000;

/**
 * BullMQ wiring for `aisbf worker` (docs/architecture.md "Jobs and health"). The one schedule is a
 * job scheduler with a fixed id, so N worker processes create one schedule, and one job per tick,
 * for the whole cluster. Discovery has no scheduler: the periodic health run, which already knows
 * the providers in use, enqueues the discoveries due (docs/jobs.md "Discovery follows use").
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
  const sweep = createDiscoverySweep(Math.max(1, discoverEveryMs));

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

  const syncSchedules = async (): Promise<void> => {
    if (healthEveryMs > 0)
      await healthQueue.upsertJobScheduler(
        HEALTH_SCHEDULER_ID,
        { every: healthEveryMs },
        { name: JOB_NAMES.healthCheck, data: {} },
      );
  };

  /**
   * The discoveries of this period still to run for the providers in use, one job each: the
   * deduplication id names the provider and its period, so the N workers' health runs (and a
   * restarted worker) enqueue it once for the cluster; started at jittered offsets.
   */
  const requestDiscoveries = async (inUse: HealthCheckResult['inUse']): Promise<number> => {
    if (discoverEveryMs <= 0) return 0;
    const due = sweep.due(inUse, Date.now());
    if (due.length === 0) return 0;
    const spreadMs = Math.min(DISCOVER_SPREAD_MS, discoverEveryMs, DISCOVER_GAP_MS * due.length);
    try {
      await discoverQueue.addBulk(
        due.map(({ payload, key }) => ({
          name: JOB_NAMES.discoverModels,
          data: payload,
          opts: {
            ...JOB_OPTIONS[QUEUES.discoverModels],
            delay: Math.floor(Math.random() * spreadMs),
            deduplication: { id: key, ttl: discoverEveryMs },
          },
        })),
      );
    } catch (error) {
      sweep.forget(due);
      throw error;
    }
    return due.length;
  };

  const workers = [
    new Worker(
      QUEUES.usageEvents,
      guard((job) => flushUsage({ db: options.db, mysql: options.mysql }, job.data)),
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
        // Discovery follows use: the periodic run's providers in use are the ones rediscovered.
        const periodic = (job.data as { providerId?: unknown } | undefined)?.providerId === undefined;
        const discoveries = await (periodic ? requestDiscoveries(result.inUse) : Promise.resolve(0)).catch(
          (error: unknown) => {
            onError(error, 'request discoveries');
            return 0;
          },
        );
        return { checked: result.checked.length, changed: result.changed, discoveries };
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
  const legacySchedulersRemoved = await removeLegacyDiscoverSchedulers(discoverQueue);

  return {
    syncSchedules,
    legacySchedulersRemoved,
    running: () => workers.every((w) => w.isRunning()),
    async close(force = false) {
      await Promise.all(workers.map((w) => w.close(force)));
      await Promise.all([healthQueue.close(), discoverQueue.close()]);
    },
  };
}
