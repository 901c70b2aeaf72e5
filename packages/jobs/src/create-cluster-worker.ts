import { createRedisBus, createRedisHealthPublisher, createRedisPartStore, createPartPublisher } from '@aisbf/bus';
import { configPartLoader, type Db, type MysqlPool } from '@aisbf/db';
import type { SecretBox } from '@aisbf/secrets';
import { createWorkers, type JobWorkers } from './create-workers';
import type { HealthPolicy } from './traffic-health';

export interface ClusterWorkerOptions {
  /** AISBF_REDIS_URL */
  url: string;
  /** Cluster key prefix, e.g. `aisbf:` (same on every role). */
  prefix: string;
  db: Db;
  /** MySQL/MariaDB: the pool under `db` (`DatabaseHandle.mysql`), for the usage batches' prepared statements. */
  mysql?: MysqlPool;
  secretBox: SecretBox;
  healthEveryMs?: number;
  discoverEveryMs?: number;
  healthPolicy?: Partial<HealthPolicy>;
  fetch?: typeof fetch;
  onError?: (error: unknown, context: string) => void;
}

export interface ClusterWorker {
  workers: JobWorkers;
  /** For the worker's /healthz: workers running and the bus connected. */
  healthy(): boolean;
  close(): Promise<void>;
}

/**
 * Everything `aisbf worker` runs, in one call: the BullMQ workers, a snapshot publisher (discovery
 * commits config changes, which the data planes must see like any other) and the health publisher.
 * The snapshot store's compare-and-set makes a worker and a control plane publishing at once safe.
 */
export async function createClusterWorker(options: ClusterWorkerOptions): Promise<ClusterWorker> {
  const onError = options.onError ?? (() => undefined);
  const bus = createRedisBus({ url: options.url, prefix: options.prefix, name: 'aisbf-worker', onError });
  const store = createRedisPartStore({
    url: options.url,
    prefix: options.prefix,
    name: 'aisbf-worker-parts',
    onError: (e) => onError(e, 'part store'),
  });
  // Republishing on reconnect is the control plane's job; a worker only announces its own commits.
  const publisher = createPartPublisher({
    bus,
    store,
    load: configPartLoader(options.db),
    republishOnReconnect: false,
    onError,
  });
  const health = createRedisHealthPublisher({
    url: options.url,
    prefix: options.prefix,
    name: 'aisbf-worker-health',
    onError,
  });
  let workers: JobWorkers;
  try {
    workers = await createWorkers({
      url: options.url,
      prefix: options.prefix,
      db: options.db,
      mysql: options.mysql,
      secretBox: options.secretBox,
      publish: (change) => publisher.publish(change),
      publishHealth: health.publishHealth,
      healthEveryMs: options.healthEveryMs,
      discoverEveryMs: options.discoverEveryMs,
      healthPolicy: options.healthPolicy,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      onError,
    });
  } catch (error) {
    await Promise.allSettled([publisher.close(), bus.close(), store.close(), health.close()]);
    throw error;
  }
  return {
    workers,
    healthy: () => workers.running() && bus.connected(),
    async close() {
      await workers.close();
      await publisher.close();
      await Promise.all([bus.close(), store.close(), health.close()]);
    },
  };
}
