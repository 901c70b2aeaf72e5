import { createGuardedFetch } from '@aisbf/data-plane';
import { createRedisBus, createRedisHealthPublisher, createPartPublisher, createRedisPartStore } from '@aisbf/bus';
import { configPartLoader, createDatabase } from '@aisbf/db';
import { Queue } from 'bullmq';
import { createWorkers, QUEUES, toBullmqConnection, toBullmqPrefix } from '@aisbf/jobs';
import { createSecretBox } from '@aisbf/secrets';
import type { Env } from '../env';
import { requireEnv } from '../require-env';
import { createEnvLogger } from '../env-logger';
import { createThrottledWarn } from '../throttled-warn';
import { endpointPolicyFromEnv } from '../env-endpoint-policy';
import { createMetricsAccess } from '../metrics-access';
import { createProcessMetrics } from '../process-metrics';
import { serveHttp, waitForShutdownSignal } from '../serve-http';
import { startUsageRetentionFromEnv } from '../usage-retention';

/** `aisbf worker`: BullMQ processors for discovery, health checks and usage writes (docs/architecture.md "Jobs and health"). */
export async function runWorker(env: Env, options: { port: number | undefined }): Promise<number> {
  const {
    AISBF_REDIS_URL: redisUrl,
    AISBF_DATABASE_URL: databaseUrl,
    AISBF_SECRET_KEY: secretKey,
  } = requireEnv(env, 'the worker role', {
    AISBF_REDIS_URL: '(BullMQ queues live in Redis)',
    AISBF_DATABASE_URL: '(usage and discovery are written to the database)',
    AISBF_SECRET_KEY: '(discovery and probes use provider keys)',
  });
  const logger = createEnvLogger(env);
  // Once per context and message every 10 s: a Redis outage makes every client report every retry.
  const onError = createThrottledWarn(logger, 'worker');
  const redis = { url: redisUrl, prefix: env.AISBF_REDIS_PREFIX };
  const database = createDatabase(databaseUrl);
  const bus = createRedisBus({ ...redis, name: 'aisbf-worker', onError });
  const store = createRedisPartStore({
    ...redis,
    name: 'aisbf-worker-parts',
    onError: (e) => onError(e, 'part store'),
  });
  const publisher = createPartPublisher({ bus, store, load: configPartLoader(database.db), onError });
  // Health is stored (for nodes that start later) and announced (for the running ones).
  const health = createRedisHealthPublisher({ ...redis, name: 'aisbf-worker-health', onError });
  // Discovery and health probes reach user-owned providers under the same endpoint policy as the
  // data plane, checked at connect time after DNS (docs/security.md).
  const endpointPolicy = endpointPolicyFromEnv(env, options.port);
  const workers = await createWorkers({
    ...redis,
    db: database.db,
    mysql: database.mysql,
    secretBox: createSecretBox(secretKey),
    publish: (change) => publisher.publish(change),
    publishHealth: health.publishHealth,
    userFetch: createGuardedFetch({ policy: endpointPolicy }),
    onError,
  });

  // Queue depths per state, read from Redis at scrape time.
  const queues = Object.values(QUEUES).map(
    (name) => new Queue(name, { connection: toBullmqConnection(redis.url), prefix: toBullmqPrefix(redis.prefix) }),
  );
  const metrics = createProcessMetrics({
    role: 'worker',
    gauges: [
      {
        name: 'aisbf_queue_jobs',
        help: 'Jobs per BullMQ queue and state',
        labelNames: ['queue', 'state'],
        async collect(set) {
          for (const queue of queues) {
            const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
            for (const [state, count] of Object.entries(counts)) set(count, { queue: queue.name, state });
          }
        },
      },
    ],
  });

  const metricsAccess = createMetricsAccess(env, () => metrics.text());
  const http = await serveHttp(
    (req, res) => {
      if (metricsAccess.onMainPort(req, res)) return;
      if (req.url === '/healthz') {
        const ok = workers.running();
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: ok ? 'ok' : 'degraded', role: 'worker' }));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { message: 'not found', type: 'invalid_request_error', code: 'not_found', param: null },
        }),
      );
    },
    { port: options.port ?? env.AISBF_WORKER_PORT, host: env.AISBF_HOST },
  );
  const metricsHttp = await metricsAccess.listen();
  logger.info({ port: http.port }, 'aisbf worker running');
  console.log(`aisbf worker listening on http://${env.AISBF_HOST}:${http.port}  (/healthz)`);

  const retention = startUsageRetentionFromEnv(database.db, env, logger);
  const signal = await waitForShutdownSignal();
  logger.info({ signal }, 'shutting down');
  retention.close();
  await Promise.all([http.close(1000), metricsHttp?.close(1000)]);
  await workers.close();
  await Promise.allSettled(queues.map((q) => q.close()));
  await publisher.close();
  await Promise.allSettled([health.close(), bus.close(), store.close()]);
  await database.close();
  return 0;
}
