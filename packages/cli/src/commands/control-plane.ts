import {
  createRedisBus,
  createRedisCooldownReader,
  createRedisHealthStore,
  createRedisNodeList,
  createRedisSessionStore,
  createRedisPartStore,
  createPartPublisher,
} from '@aisbf/bus';
import { createControlPlane, httpDataPlane, resealProviderHeaders, trustedProxies } from '@aisbf/control-plane';
import { createGuardedFetch } from '@aisbf/data-plane';
import { configPartLoader, createDatabase, getConfigVersion, migrateToLatest } from '@aisbf/db';
import { createBullmqJobRunner } from '@aisbf/jobs';
import { createSecretBox } from '@aisbf/secrets';
import type { Env } from '../env';
import { requireEnv } from '../require-env';
import { createBootGate } from '../boot-gate';
import { createEnvLogger } from '../env-logger';
import { createThrottledWarn } from '../throttled-warn';
import { endpointPolicyFromEnv } from '../env-endpoint-policy';
import { reportAdmin } from '../report-admin';
import { privacyDetector } from '../privacy-detector';
import { createMetricsAccess } from '../metrics-access';
import { createProcessMetrics } from '../process-metrics';
import { serveHttp, waitForShutdownSignal } from '../serve-http';
import { dashboardDir } from './start';

/**
 * `aisbf control-plane`: GraphQL, tRPC and the dashboard over MySQL (docs/architecture.md "Processes and ports"). Each committed
 * change is stored as a snapshot in Redis and announced on the bus; jobs go through BullMQ.
 */
export async function runControlPlane(env: Env, options: { port: number | undefined }): Promise<number> {
  const {
    AISBF_REDIS_URL: redisUrl,
    AISBF_DATABASE_URL: databaseUrl,
    AISBF_SECRET_KEY: secretKey,
  } = requireEnv(env, 'the control-plane role', {
    AISBF_REDIS_URL: '(snapshots, sessions and jobs go through Redis); use `aisbf start` for a single process',
    AISBF_DATABASE_URL: '(e.g. mysql://aisbf:secret@mysql:3306/aisbf)',
    AISBF_SECRET_KEY: '(the same key on every node)',
  });
  const logger = createEnvLogger(env);
  // Once per context and message every 10 s: a Redis outage makes every client report every retry.
  const onError = createThrottledWarn(logger, 'control plane');
  const redis = { url: redisUrl, prefix: env.AISBF_REDIS_PREFIX };
  const secretBox = createSecretBox(secretKey);
  const database = createDatabase(databaseUrl);
  // Forward-only migrations are safe on a live cluster; running them here keeps a one-node setup simple.
  await migrateToLatest(database.db);
  // Before the first snapshot is published: no plaintext header value may reach Redis (docs/architecture.md "Secrets").
  await resealProviderHeaders(database.db, secretBox, Date.now());

  const bus = createRedisBus({ ...redis, name: 'aisbf-cp', onError });
  const store = createRedisPartStore({
    ...redis,
    name: 'aisbf-cp-parts',
    onError: (e) => onError(e, 'part store'),
  });
  const publisher = createPartPublisher({ bus, store, load: configPartLoader(database.db), onError });
  const jobs = createBullmqJobRunner({ ...redis, onError });
  const sessions = createRedisSessionStore({
    ...redis,
    name: 'aisbf-cp-sessions',
    onError: (e) => onError(e, 'sessions'),
  });
  const nodes = createRedisNodeList({ ...redis, onError: (e) => onError(e, 'node list') });
  // Read only: the rotations page shows the cooldowns and health the data planes and the worker share.
  const cooldowns = createRedisCooldownReader({ ...redis, name: 'aisbf-cp-cooldowns', onError });
  const healthMarks = createRedisHealthStore({ ...redis, name: 'aisbf-cp-health', onError });
  const endpointPolicy = endpointPolicyFromEnv(env, options.port);
  const controlPlane = createControlPlane({
    db: database.db,
    secretBox,
    publisher,
    jobs,
    sessions,
    mode: 'cluster',
    privacyDetector,
    endpointCheck: { policy: endpointPolicy },
    // providers.test probes user-owned providers under the policy at connect time too (docs/security.md).
    userFetch: createGuardedFetch({ policy: endpointPolicy }),
    listNodes: () => nodes.listNodes(),
    cooldowns,
    healthMarks,
    ...(env.AISBF_DATA_PLANE_URL === undefined ? {} : { dataPlane: httpDataPlane(env.AISBF_DATA_PLANE_URL) }),
    dashboardDir: dashboardDir(env.AISBF_DASHBOARD_DIR),
    trustedProxies: trustedProxies(env.AISBF_TRUSTED_PROXIES),
    onError,
  });
  // Only the parts changed since the version Redis holds; every part, in pages, when Redis lost
  // them (docs/cluster.md "Control-plane cost"). Awaited: a node must not find a half-written store
  // behind a control plane that says it is up.
  await publisher
    .republish()
    .then((result) => logger.info(result, 'config parts republished'))
    .catch((error: unknown) => onError(error, 'initial snapshot publish (Redis away?)'));

  const metrics = createProcessMetrics({
    role: 'control-plane',
    gauges: [
      {
        name: 'aisbf_config_version',
        help: 'Committed config version',
        collect: async (set) => set((await getConfigVersion(database.db)).version),
      },
      {
        name: 'aisbf_data_plane_nodes',
        help: 'Data-plane nodes seen by heartbeat, by snapshot version',
        labelNames: ['node'],
        collect: async (set) => {
          for (const node of await nodes.listNodes()) set(node.version, { node: node.id });
        },
      },
    ],
  });
  const metricsAccess = createMetricsAccess(env, () => metrics.text());
  const gate = createBootGate((req, res) => metricsAccess.onMainPort(req, res) || controlPlane.handle(req, res));
  const http = await serveHttp(gate.handler, { port: options.port ?? env.AISBF_CONTROL_PORT, host: env.AISBF_HOST });
  const metricsHttp = await metricsAccess.listen();
  // After listening, as in `aisbf start`: a boot that fails before this point creates no admin.
  const admin = await controlPlane.services.users.ensureAdmin({
    password: env.AISBF_ADMIN_PASSWORD,
    token: env.AISBF_ADMIN_TOKEN,
  });
  gate.open();
  console.log(
    `aisbf control plane listening on http://${env.AISBF_HOST}:${http.port}  (dashboard /, GraphQL /graphql, MCP /mcp)`,
  );
  for (const line of reportAdmin(admin, env.AISBF_ADMIN_PASSWORD !== undefined)) console.log(line);

  const signal = await waitForShutdownSignal();
  logger.info({ signal }, 'shutting down');
  await Promise.all([http.close(env.AISBF_SHUTDOWN_GRACE_MS), metricsHttp?.close(1000)]);
  await controlPlane.close();
  await publisher.close();
  await Promise.allSettled([
    jobs.close(),
    sessions.close(),
    nodes.close(),
    bus.close(),
    store.close(),
    cooldowns.close(),
    healthMarks.close(),
  ]);
  await database.close();
  return 0;
}
