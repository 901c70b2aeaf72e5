import { discoverDepsOf, healthDepsOf, type JobProcessorDeps } from './job-processor-deps';
import type { HealthChange } from '@aisbf/bus';
import type { ConfigChange, UsageSink } from '@aisbf/core';
import { GatewayError } from '@aisbf/core';
import type { Db } from '@aisbf/db';
import type { SecretBox } from '@aisbf/secrets';
import { createDbUsageSink } from './db-usage-sink';
import { createThreadUsageSink } from './thread-usage-sink';
import type { UsageSpool } from './usage-spool';
import { discoverModels, type DiscoverModelsPayload, type ModelDiscovery } from './discover-models.processor';
import { checkHealth, type HealthCheckResult } from './health-check.processor';
import { createDiscoverySweep } from './discovery-sweep';
import { spreadRuns } from './spread-probes';
import type { HealthPolicy } from './traffic-health';

/** Discoveries run at once after a health run: what one BullMQ discover worker runs (create-workers.ts). */
const DISCOVER_CONCURRENCY = 4;

export interface InProcessJobsOptions extends JobProcessorDeps {
  /** `discoverModels` gives up waiting after this long (default 30 s). */
  timeoutMs?: number;
  usageBatchSize?: number;
  usageFlushMs?: number;
  /**
   * The database's URL when it is a file or a server: usage batches are then written by a thread of
   * their own (`createThreadUsageSink`) instead of the one serving requests. Without it (an
   * in-memory database, which another thread cannot open) they are written on this thread.
   */
  usageDatabaseUrl?: string;
  /** Where usage the database did not take before shutdown waits for the next start. */
  usageSpool?: UsageSpool;
}

export interface InProcessJobs {
  /** The control plane's JobRunner. */
  discoverModels(payload: DiscoverModelsPayload): Promise<ModelDiscovery>;
  /** The data plane's UsageSink (batched inserts). */
  usageSink: UsageSink;
  /** Starts a discovery nobody waits for (a provider was created or changed); errors go to `onError`. */
  discoverSoon(payload: DiscoverModelsPayload): void;
  /**
   * Runs the periodic health check now (the timer calls the same), then the discoveries due for
   * the providers it found in use (docs/jobs.md "Discovery follows use"): `discovered` lists them.
   */
  runHealthCheck(): Promise<HealthCheckResult & { discovered: DiscoverModelsPayload[] }>;
  close(): Promise<void>;
}

/**
 * All-in-one mode (docs/architecture.md "Jobs and health"): the very same processors as the BullMQ workers, on timers in
 * this process. A run never overlaps the previous one of its kind.
 */
export function createInProcessJobs(options: InProcessJobsOptions): InProcessJobs {
  const onError = options.onError ?? (() => undefined);
  const discoverDeps = discoverDepsOf(options);
  const batching = {
    batchSize: options.usageBatchSize,
    flushMs: options.usageFlushMs,
    onError,
    spool: options.usageSpool,
  };
  const usageSink =
    options.usageDatabaseUrl === undefined
      ? createDbUsageSink({ db: options.db, ...batching })
      : createThreadUsageSink({ databaseUrl: options.usageDatabaseUrl, ...batching });
  const inFlight = new Map<string, Promise<ModelDiscovery>>();
  const timers: NodeJS.Timeout[] = [];
  let closed = false;

  const discover = (payload: DiscoverModelsPayload): Promise<ModelDiscovery> => {
    // One discovery per provider at a time, as the BullMQ runner's deduplication does.
    const key = `${payload.ownerId ?? ''}/${payload.providerId}`;
    const running = inFlight.get(key);
    if (running) return running;
    const started = discoverModels(discoverDeps, payload).finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  };

  const discoverEveryMs = options.discoverEveryMs ?? 6 * 3_600_000;
  const sweep = createDiscoverySweep(Math.max(1, discoverEveryMs));
  const runHealthCheck = async (): Promise<HealthCheckResult & { discovered: DiscoverModelsPayload[] }> => {
    const result = await checkHealth(healthDepsOf(options), {});
    if (discoverEveryMs <= 0 || closed) return { ...result, discovered: [] };
    const due = sweep.due(result.inUse, Date.now());
    // As many at once as a BullMQ worker runs; the next run waits for these (timers never overlap).
    await spreadRuns(
      due,
      ({ payload }) => discover(payload).catch((error: unknown) => onError(error, `discover ${payload.providerId}`)),
      { spreadMs: 0, concurrency: DISCOVER_CONCURRENCY },
    );
    return { ...result, discovered: due.map((d) => d.payload) };
  };

  const every = (ms: number | undefined, fallback: number, run: () => Promise<unknown>, label: string): void => {
    const period = ms ?? fallback;
    if (period <= 0) return;
    let busy = false;
    const timer = setInterval(() => {
      if (busy || closed) return;
      busy = true;
      run()
        .catch((error: unknown) => onError(error, label))
        .finally(() => {
          busy = false;
        });
    }, period);
    timer.unref();
    timers.push(timer);
  };
  every(options.healthEveryMs, 60_000, runHealthCheck, 'health check');

  return {
    async discoverModels(payload) {
      const timeoutMs = options.timeoutMs ?? 30_000;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new GatewayError(
                'UPSTREAM_TIMEOUT',
                `model discovery for "${payload.providerId}" did not finish within ${Math.round(timeoutMs / 1000)} s`,
              ),
            ),
          timeoutMs,
        );
      });
      try {
        return await Promise.race([discover(payload), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    discoverSoon(payload) {
      if (closed) return;
      discover(payload).catch((error: unknown) => onError(error, `discover ${payload.providerId}`));
    },
    usageSink,
    runHealthCheck,
    async close() {
      closed = true;
      for (const t of timers) clearInterval(t);
      await usageSink.close();
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}
