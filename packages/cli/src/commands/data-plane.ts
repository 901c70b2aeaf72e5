import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  closeRedisClient,
  createRedisBudgetLedger,
  createRedisClient,
  createRedisCooldownSync,
  createRedisHealthBoard,
  createRedisPrefillRefusals,
  createRedisResponseCacheStore,
  createRedisResponseStore,
  createRedisRateLimiter,
  createRedisRequestSpacer,
  createRedisPartSource,
  startNodeHeartbeat,
} from '@aisbf/bus';
import { createDataPlane } from '@aisbf/data-plane';
// The producer entry only: the data plane never loads the database layer (docs/architecture.md "Processes and ports").
import { createQueueUsageSink, createUsageSpool } from '@aisbf/jobs/producer';
import { createSecretBox } from '@aisbf/secrets';
import type { Env } from '../env';
import { requireEnv } from '../require-env';
import { createEnvLogger } from '../env-logger';
import { createThrottledWarn } from '../throttled-warn';
import { endpointPolicyFromEnv } from '../env-endpoint-policy';
import { createMetricsAccess } from '../metrics-access';
import { replayUsageSpool } from '../replay-usage-spool';
import { serveHttp, waitForShutdownSignal } from '../serve-http';
import { tracingFromEnv } from '../tracing-from-env';

/**
 * `aisbf data-plane`: a stateless node (docs/architecture.md "Processes and ports"). It never connects to MySQL: config comes
 * as a versioned snapshot through Redis, usage leaves through a durable BullMQ queue.
 */
export async function runDataPlane(env: Env, options: { port: number | undefined }): Promise<number> {
  const { AISBF_REDIS_URL: redisUrl, AISBF_SECRET_KEY: secretKey } = requireEnv(env, 'the data-plane role', {
    AISBF_REDIS_URL: '(it reads its config snapshot from Redis)',
    AISBF_SECRET_KEY: '(the same key as the control plane, to decrypt provider keys in memory)',
  });
  const logger = createEnvLogger(env);
  const nodeId = env.AISBF_NODE_ID ?? hostname();
  const redis = { url: redisUrl, prefix: env.AISBF_REDIS_PREFIX };
  // Once per context and message every 10 s: a Redis outage makes every client report every retry.
  const onError = createThrottledWarn(logger, 'redis');

  const source = createRedisPartSource({
    ...redis,
    name: `aisbf-dp-${nodeId}`,
    budgetBytes: env.AISBF_CONFIG_CACHE_MB * 1024 * 1024,
    onError,
  });
  const cooldownSync = createRedisCooldownSync({ ...redis, name: `aisbf-dp-${nodeId}-cooldown`, onError });
  // The commands every request waits for (rate limit hit, budget reserve and settle) share one
  // connection with auto-pipelining: the commands of all requests issued in one tick leave in one
  // socket write and come back in one read, instead of a write and a wake-up per command and per
  // client (docs/decisions.md "Request-path Redis commands share one pipelined connection").
  const requestPath = createRedisClient({
    url: redis.url,
    name: `aisbf-dp-${nodeId}-limits`,
    onError: (e) => onError(e, 'limits'),
    redisOptions: { enableAutoPipelining: true },
  });
  // Large limits are admitted from node-local leases, without a round trip (docs/cluster.md "Leases").
  const rateLimiter = createRedisRateLimiter({
    ...redis,
    client: requestPath,
    leases: {},
    onError: (e) => onError(e, 'rate-limit lease'),
  });
  // AISBF's rate_limit spacing, one next-allowed time per model or provider for the whole cluster.
  const spacer = createRedisRequestSpacer({ ...redis, client: requestPath });
  const health = createRedisHealthBoard({ ...redis, name: `aisbf-dp-${nodeId}-health`, onError });
  // Entries that refused an assistant prefill: once on any node, never sent one again by any node.
  const prefillRefusals = createRedisPrefillRefusals({ ...redis, name: `aisbf-dp-${nodeId}-prefill`, onError });
  // Quotas and budgets (docs/usage.md): one atomic ledger shared by every node.
  const budgetLedger = createRedisBudgetLedger({
    ...redis,
    client: requestPath,
    leases: {},
    onError: (e) => onError(e, 'budget lease'),
  });
  const responseCache = createRedisResponseCacheStore({
    ...redis,
    name: `aisbf-dp-${nodeId}-cache`,
    onError: (e) => onError(e, 'response cache'),
  });
  // Stored Responses (`previous_response_id`): every node reads what any node stored.
  const responseStore = createRedisResponseStore({
    ...redis,
    name: `aisbf-dp-${nodeId}-responses`,
    onError: (e) => onError(e, 'response store'),
  });
  const tracing = await tracingFromEnv(env, { serviceName: 'aisbf-data-plane', nodeId });
  const usageOnError = (e: unknown, context: string): void => logger.error({ err: e, context }, 'usage queue');
  // Usage Redis did not take before a shutdown waits on this node's disk for its next start
  // (docs/usage.md "Where usage goes"); nothing is written there otherwise.
  const usageSpool = createUsageSpool({ dir: join(env.AISBF_DATA_DIR, 'usage-spool'), onError: usageOnError });
  const usageSink = createQueueUsageSink({ ...redis, spool: usageSpool, onError: usageOnError });
  replayUsageSpool(usageSpool, usageSink, logger);
  const dataPlane = createDataPlane({
    secretBox: createSecretBox(secretKey),
    usageSink,
    cooldownSync,
    prefillRefusals,
    rateLimiter,
    spacer,
    // The snapshot's tokenizers load in the background at boot, not on the first request.
    preloadTokenCounters: true,
    budgetLedger,
    health,
    responseCache,
    responseStore,
    logger,
    limits: { maxBodyBytes: env.AISBF_MAX_BODY_BYTES },
    maxHops: env.AISBF_MAX_HOPS,
    // Connect-time half of the endpoint policy (docs/security.md): DNS rebinding is refused here.
    endpointPolicy: endpointPolicyFromEnv(env, options.port),
    busConnected: () => source.status().connected,
    partStats: () => source.status(),
    // `/metrics` is served below, only to whom AISBF_METRICS_TOKEN / AISBF_METRICS_PORT allow.
    exposeMetrics: false,
    ...(tracing === null ? {} : { tracer: tracing.tracer }),
  });

  // Serve from the parts the source holds (it moves forward itself; while Redis is away the
  // parts held stay in place). Boot reads the global part only (docs/cluster.md).
  if (!(await source.load()))
    logger.warn('no config in Redis yet: refusing traffic with 503 until the control plane publishes it');
  dataPlane.setConfig(source);

  // The control plane's dashboard shows each node's version and lag from these heartbeats.
  const heartbeat = startNodeHeartbeat({ ...redis, nodeId, source, onError: (e) => onError(e, 'heartbeat') });

  const metricsAccess = createMetricsAccess(env, () => dataPlane.metrics());
  const http = await serveHttp(
    (req, res) => {
      if (metricsAccess.onMainPort(req, res)) return;
      // Readiness includes the snapshot source: a node cut off from Redis keeps serving its last
      // good snapshot (200) but says so, with the version and how stale it is (docs/architecture.md "Propagation").
      if (req.url === '/readyz') {
        const status = source.status();
        const ready = dataPlane.ready();
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            status: ready ? 'ready' : 'not ready',
            nodeId,
            version: status.version,
            redis: status.connected ? 'connected' : 'disconnected',
            lastSyncAt: status.lastSyncAt,
            lastError: status.lastError,
            // What this node holds of the partitioned config (docs/cluster.md "Partitioned propagation").
            parts: {
              usersHeld: status.usersHeld,
              bytesHeld: status.bytesHeld,
              jsonBytesHeld: status.jsonBytesHeld,
              budgetBytes: status.budgetBytes,
              unknownTokensHeld: status.unknownTokensHeld,
              unknownTokenHits: status.unknownTokenHits,
              loads: status.loads,
              evictions: status.evictions,
              resyncs: status.resyncs,
              behindMs: status.behindSince === null ? 0 : Date.now() - status.behindSince,
            },
          }),
        );
        return;
      }
      if (dataPlane.handle(req, res)) return;
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: {
            message: `no route for ${req.method ?? 'GET'} ${req.url ?? '/'}`,
            type: 'invalid_request_error',
            code: 'not_found',
            param: null,
          },
        }),
      );
    },
    { port: options.port ?? env.AISBF_PORT, host: env.AISBF_HOST },
  );
  const metricsHttp = await metricsAccess.listen();
  logger.info({ port: http.port, nodeId, version: source.version() }, 'aisbf data plane listening');
  console.log(`aisbf data plane ${nodeId} listening on http://${env.AISBF_HOST}:${http.port}`);

  const signal = await waitForShutdownSignal();
  logger.info({ signal }, 'shutting down');
  await Promise.all([http.close(env.AISBF_SHUTDOWN_GRACE_MS), metricsHttp?.close(1000)]);
  await dataPlane.close();
  await usageSink.close();
  await tracing?.close();
  await Promise.allSettled([
    heartbeat.close(),
    health.close(),
    responseCache.close(),
    responseStore.close(),
    source.close(),
    cooldownSync.close(),
    prefillRefusals.close(),
    rateLimiter.close(),
    spacer.close(),
    budgetLedger.close(),
  ]);
  await closeRedisClient(requestPath);
  return 0;
}
