import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  createHealthBoard,
  createHealthPublisher,
  createInProcessPropagation,
  createMemoryBudgetLedger,
  createMemoryCooldownSync,
  createMemoryHealthStore,
  createMemoryRateLimiter,
  createMemoryRequestSpacer,
} from '@aisbf/bus';
import {
  createControlPlane,
  createMemorySessionStore,
  httpDataPlane,
  isControlPlanePath,
  resealProviderHeaders,
  trustedProxies,
  type DataPlaneFetch,
} from '@aisbf/control-plane';
import {
  createDataPlane,
  createGuardedFetch,
  createMemoryResponseCacheStore,
  createMemoryResponseStore,
} from '@aisbf/data-plane';
import {
  configPartLoader,
  createDatabase,
  createDbPrefillRefusals,
  isInMemoryDatabase,
  migrateToLatest,
} from '@aisbf/db';
import { createInProcessJobs, createUsageSpool } from '@aisbf/jobs';
import { createSecretBox } from '@aisbf/secrets';
import { defaultDatabaseUrl, ensureDataDir, loadSecretKey, tightenDataDir } from '../data-dir';
import type { Env } from '../env';
import { installRoot } from '../install-root';
import { createBootGate } from '../boot-gate';
import { createEnvLogger } from '../env-logger';
import { endpointPolicyFromEnv } from '../env-endpoint-policy';
import { loopbackUrl } from '../loopback-url';
import { createMetricsAccess } from '../metrics-access';
import { privacyDetector } from '../privacy-detector';
import { replayUsageSpool } from '../replay-usage-spool';
import { reportAdmin } from '../report-admin';
import { serveHttp, waitForShutdownSignal } from '../serve-http';
import { tracingFromEnv } from '../tracing-from-env';
import { startUsageRetentionFromEnv } from '../usage-retention';

/**
 * The dashboard's static build in the checkout (`web/build`), unless AISBF_DASHBOARD_DIR says
 * otherwise; found from the sources and from the bundle alike (`moduleUrl` is for tests).
 */
export function dashboardDir(fromEnv: string | undefined, moduleUrl: string = import.meta.url): string | undefined {
  const root = fromEnv === undefined ? installRoot(moduleUrl) : undefined;
  const dir = fromEnv ?? (root === undefined ? undefined : join(root, 'web', 'build'));
  return dir !== undefined && existsSync(join(dir, 'index.html')) ? dir : undefined;
}

/**
 * `aisbf start`: everything in one process (docs/architecture.md "Processes and ports"): SQLite by default, in-process bus,
 * sessions and jobs; data plane, control plane and dashboard on one port. A committed change
 * reaches the data plane through the same publisher/source pair cluster mode uses over Redis.
 */
export async function runStart(env: Env, options: { port: number | undefined }): Promise<number> {
  const logger = createEnvLogger(env);
  const dataDir = ensureDataDir(env.AISBF_DATA_DIR);
  // Before the database opens: SQLite gives its -wal and -shm files the database file's mode.
  const tightened = tightenDataDir(dataDir);
  if (tightened.changed.length > 0)
    logger.warn({ files: tightened.changed }, 'the data dir was readable by others: tightened to 0700/0600');
  if (tightened.failed.length > 0)
    logger.warn({ files: tightened.failed }, 'could not restrict these files in the data dir to their owner');
  const secret = loadSecretKey({ fromEnv: env.AISBF_SECRET_KEY, dataDir });
  if (secret.generated)
    console.log(
      `generated a secret key in ${join(dataDir, 'secret.key')} (back it up: provider keys are encrypted with it)`,
    );
  const secretBox = createSecretBox(secret.key);
  const databaseUrl = env.AISBF_DATABASE_URL ?? defaultDatabaseUrl(dataDir);
  const database = createDatabase(databaseUrl);
  await migrateToLatest(database.db);
  // Header values of providers written before they were sealed (docs/architecture.md "Secrets").
  await resealProviderHeaders(database.db, secretBox, Date.now());
  const onError = (error: unknown, context: string): void =>
    logger.error({ err: error, context }, 'background task failed');

  const propagation = createInProcessPropagation({
    load: configPartLoader(database.db),
    budgetBytes: env.AISBF_CONFIG_CACHE_MB * 1024 * 1024,
    onError,
  });
  // Provider health: the health-check job writes it, the data plane reads it (same shapes as cluster mode).
  const healthStore = createMemoryHealthStore();
  const healthBoard = createHealthBoard({ bus: propagation.bus, store: healthStore, pollMs: 0, onError });
  // Cooldowns: no other node to tell, but kept where the control plane's rotations page reads them.
  const cooldowns = createMemoryCooldownSync();
  // One endpoint policy for every half (docs/security.md): checked when a provider is written, and on every
  // connection to a user-owned provider, the proxy's and the jobs' (discovery, health probes).
  const endpointPolicy = endpointPolicyFromEnv(env, options.port);
  const guardedFetch = createGuardedFetch({ policy: endpointPolicy });
  // Usage the database did not take before a shutdown waits here for the next start.
  const usageSpool = createUsageSpool({ dir: join(dataDir, 'usage-spool'), onError });
  const jobs = createInProcessJobs({
    db: database.db,
    secretBox,
    publish: (change) => propagation.publisher.publish(change),
    publishHealth: createHealthPublisher({ bus: propagation.bus, store: healthStore }),
    userFetch: guardedFetch,
    // Usage batches are written by a thread of their own, off the thread that serves requests
    // (docs/usage.md "Where usage goes"); an in-memory database only this thread can see keeps them here.
    ...(isInMemoryDatabase(databaseUrl) ? {} : { usageDatabaseUrl: databaseUrl }),
    usageSpool,
    onError,
  });
  replayUsageSpool(usageSpool, jobs.usageSink, logger);
  const tracing = await tracingFromEnv(env, { serviceName: 'aisbf' });
  // Entries that refused an assistant prefill, kept in the database: a restart does not forget them.
  const prefillRefusals = createDbPrefillRefusals({ db: database.db, onError });
  const rateLimiter = createMemoryRateLimiter();
  const spacer = createMemoryRequestSpacer();
  const dataPlane = createDataPlane({
    secretBox,
    usageSink: jobs.usageSink,
    partStats: () => propagation.source.status(),
    health: healthBoard,
    cooldownSync: cooldowns,
    prefillRefusals,
    responseCache: createMemoryResponseCacheStore(),
    responseStore: createMemoryResponseStore(),
    budgetLedger: createMemoryBudgetLedger(),
    // requestsPerMinute and tokensPerMinute (docs/usage.md), counted in this process.
    rateLimiter,
    // AISBF's rate_limit spacing (docs/context.md "Rate limit"), kept in this process.
    spacer,
    // The snapshot's tokenizers load in the background at boot, not on the first request.
    preloadTokenCounters: true,
    logger,
    limits: { maxBodyBytes: env.AISBF_MAX_BODY_BYTES },
    maxHops: env.AISBF_MAX_HOPS,
    endpointPolicy,
    // `/metrics` is served below, only to whom AISBF_METRICS_TOKEN / AISBF_METRICS_PORT allow.
    exposeMetrics: false,
    ...(tracing === null ? {} : { tracer: tracing.tracer }),
  });
  const sessions = createMemorySessionStore();
  // The MCP `chat` tool goes through this very server's data plane on loopback (known once listening),
  // so it takes the path every client takes: auth, limits, budgets, usage.
  let ownDataPlane: DataPlaneFetch | null = null;
  const controlPlane = createControlPlane({
    db: database.db,
    secretBox,
    publisher: propagation.publisher,
    jobs,
    sessions,
    mode: 'all-in-one',
    cooldowns,
    healthMarks: healthStore,
    privacyDetector,
    endpointCheck: { policy: endpointPolicy },
    userFetch: guardedFetch,
    dashboardDir: dashboardDir(env.AISBF_DASHBOARD_DIR),
    trustedProxies: trustedProxies(env.AISBF_TRUSTED_PROXIES),
    dataPlane: (path, init) =>
      ownDataPlane === null ? Promise.reject(new Error('not listening yet')) : ownDataPlane(path, init),
    onError,
  });

  // The same partitioned source as a cluster node, over the in-process store (docs/cluster.md "All-in-one").
  await propagation.start();
  await propagation.source.load();
  dataPlane.setConfig(propagation.source);

  const metricsAccess = createMetricsAccess(env, () => dataPlane.metrics());
  const gate = createBootGate((req, res) => {
    if (metricsAccess.onMainPort(req, res)) return;
    // `/api/u/{username}/mcp` is the control plane's, though it sits under the data plane's prefix.
    if (isControlPlanePath((req.url ?? '/').split('?')[0]!) || !dataPlane.handle(req, res))
      controlPlane.handle(req, res);
  });
  const http = await serveHttp(gate.handler, { port: options.port ?? env.AISBF_PORT, host: env.AISBF_HOST });
  ownDataPlane = httpDataPlane(loopbackUrl(env.AISBF_HOST, http.port));
  const metricsHttp = await metricsAccess.listen();
  // Only now that the port is ours: a start that fails before this point created no admin, so the
  // next start still creates one and prints its password (first start is all-or-nothing).
  const admin = await controlPlane.services.users.ensureAdmin({
    password: env.AISBF_ADMIN_PASSWORD,
    token: env.AISBF_ADMIN_TOKEN,
  });
  gate.open();
  const shownHost = env.AISBF_HOST === '0.0.0.0' ? 'localhost' : env.AISBF_HOST;
  console.log(
    `aisbf is running on http://${shownHost}:${http.port}  (dashboard /, API /v1, GraphQL /graphql, MCP /mcp)`,
  );
  for (const line of reportAdmin(admin, env.AISBF_ADMIN_PASSWORD !== undefined)) console.log(line);
  logger.info({ port: http.port, version: propagation.source.version() }, 'aisbf all-in-one listening');

  const retention = startUsageRetentionFromEnv(database.db, env, logger);
  const signal = await waitForShutdownSignal();
  logger.info({ signal }, 'shutting down');
  retention.close();
  await Promise.all([http.close(env.AISBF_SHUTDOWN_GRACE_MS), metricsHttp?.close(1000)]);
  await dataPlane.close();
  await rateLimiter.close();
  await spacer.close();
  await prefillRefusals.close();
  await jobs.close();
  await tracing?.close();
  await controlPlane.close();
  await healthBoard.close();
  await propagation.close();
  await database.close();
  return 0;
}
