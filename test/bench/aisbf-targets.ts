import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { createSecretBox, generateSecretKey } from '../../packages/secrets/src/index';
import { buildTestSnapshot, spawnService } from '../../packages/testkit/src/index';
import type { NamedPid } from './cpu-snapshot';
import { MOCK_MODELS, type LoadTarget } from './shapes';

export interface AisbfNode {
  url: string;
  pid: number;
  /** Its log file (stdout and stderr: what a service manager keeps). */
  log: string;
  stop(): Promise<number | null>;
}

/**
 * Runs `node <bundle> <command>` as production does, its output going to a file as a service
 * manager would keep it (not through a pipe the bench process has to read), and resolves with the
 * URL it prints.
 */
export async function spawnBundled(
  bundle: string,
  command: string,
  env: Record<string, string>,
  options: { cwd: string; logDir: string; nodeArgs?: string[]; timeoutMs?: number },
): Promise<AisbfNode> {
  mkdirSync(options.logDir, { recursive: true });
  const log = join(options.logDir, `${command}-${Date.now()}.log`);
  const fd = openSync(log, 'w');
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), bundle, command, '--port', '0'], {
    cwd: options.cwd,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const text = await readFile(log, 'utf8');
    const match = /(?:listening on|running on) (http:\/\/\S+)/.exec(text);
    if (match !== null)
      return {
        url: match[1]!.replace('0.0.0.0', '127.0.0.1').replace('localhost', '127.0.0.1'),
        pid: child.pid!,
        log,
        stop,
      };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`aisbf ${command} did not start:\n${text.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The bench's tenant: limits high enough never to refuse, so every limit check runs and none trips. */
export const BENCH_LIMITS = {
  requestsPerMinute: 1_000_000_000,
  requestsPerDay: 1_000_000_000,
  tokensPerDay: 1_000_000_000_000,
};

export async function graphql(url: string, token: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data: Record<string, unknown> | null; errors?: unknown[] };
  if (body.errors !== undefined) throw new Error(`GraphQL ${query.slice(0, 60)}: ${JSON.stringify(body.errors)}`);
  return body.data!;
}

/**
 * Configures a control plane as an operator would, through GraphQL: a user with a limited API
 * token and a global provider (open to users) pointing at the mock. Returns the user's token.
 */
export async function configureTenant(controlUrl: string, adminToken: string, mockUrl: string): Promise<string> {
  await graphql(controlUrl, adminToken, 'mutation { createUser(username: "bench") { username } }');
  const created = await graphql(
    controlUrl,
    adminToken,
    'mutation($l: JSON) { createApiToken(owner: "bench", name: "load", limits: $l) { token } }',
    { l: BENCH_LIMITS },
  );
  await graphql(
    controlUrl,
    adminToken,
    'mutation($i: ProviderInput!) { upsertProvider(owner: "GLOBAL", input: $i) { id } }',
    {
      i: { id: 'mock', type: 'openai', endpoint: mockUrl, models: [...MOCK_MODELS], adminOnly: false },
    },
  );
  return (created['createApiToken'] as { token: string }).token;
}

/** Waits until the data plane at `url` lists the mock's models for `token` (the snapshot arrived). */
export async function waitForRoutes(url: string, token: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${token}` } }).catch(
      () => null,
    );
    const text = response === null ? '' : await response.text();
    if (MOCK_MODELS.every((m) => text.includes(`mock/${m}"`))) return;
    if (Date.now() > deadline) throw new Error(`${url} never listed the bench routes: ${text.slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const gatewayTarget = (name: string, url: string, token: string): LoadTarget => ({
  name,
  url: `${url}/v1`,
  headers: { authorization: `Bearer ${token}` },
  modelPrefix: 'mock/',
});

/** A database of its own on the MariaDB server for the cluster rows; dropped by the returned function. */
export async function createBenchDatabase(serverUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = new URL(serverUrl);
  const name = `aisbf_bench_${process.pid}_${Date.now()}`;
  const connect = () =>
    createConnection({
      host: base.hostname,
      port: Number(base.port || 3306),
      user: decodeURIComponent(base.username || 'root'),
      password: decodeURIComponent(base.password),
    });
  const connection = await connect();
  try {
    await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await connection.end();
  }
  base.pathname = `/${name}`;
  return {
    url: base.toString(),
    drop: async () => {
      const c = await connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await c.end();
      }
    },
  };
}

export interface BenchTarget extends LoadTarget {
  pid: number;
  /** What the row runs, for the table. */
  runs: string;
  /** A production row (the README quotes these). */
  production: boolean;
}

export interface Started {
  targets: BenchTarget[];
  /** The row's other processes, not under test (the cluster's control plane and worker), by role. */
  helpers: NamedPid[];
  stop(): Promise<void>;
}

export const ADMIN = `aisbf_bench_admin_${'0123456789abcdef'.repeat(2)}`;

/**
 * `aisbf start` as `npm start` runs it: all-in-one, SQLite in a fresh data directory, in-process
 * jobs and usage writes, the default log level (info: one line per request, to a file here).
 */
export async function startAllInOne(options: {
  bundle: string;
  cwd: string;
  dataDir: string;
  mockUrl: string;
  /** Extra node flags (e.g. `--cpu-prof` for a profile of the gateway under load). */
  nodeArgs?: string[];
}): Promise<Started> {
  const node = await spawnBundled(
    options.bundle,
    'start',
    { AISBF_DATA_DIR: options.dataDir, AISBF_ADMIN_TOKEN: ADMIN, AISBF_HOST: '127.0.0.1' },
    { cwd: options.cwd, logDir: options.dataDir, nodeArgs: options.nodeArgs ?? [] },
  );
  try {
    const token = await configureTenant(node.url, ADMIN, options.mockUrl);
    await waitForRoutes(node.url, token);
    return {
      targets: [
        {
          ...gatewayTarget('aisbf start', node.url, token),
          pid: node.pid,
          production: true,
          runs: '`node dist/aisbf.mjs start`: all-in-one, SQLite, in-process jobs, log level info to a file, usage recorded, the token has per-minute and daily limits',
        },
      ],
      helpers: [],
      stop: async () => void (await node.stop()),
    };
  } catch (error) {
    await node.stop();
    throw error;
  }
}

/**
 * The cluster roles: a control plane and a worker on MariaDB, and an `aisbf data-plane` node that
 * reads its snapshot from Redis and sends usage to the BullMQ queue the worker drains; the rate
 * limiter, budgets and cooldowns go through Redis.
 */
export async function startCluster(options: {
  bundle: string;
  cwd: string;
  logDir: string;
  mysqlUrl: string;
  redisUrl: string;
  mockUrl: string;
  secretKey: string;
  /** Extra node flags for the data-plane node. */
  nodeArgs?: string[];
  /** Extra node flags for the worker (e.g. `--cpu-prof` for what draining usage costs). */
  workerNodeArgs?: string[];
}): Promise<Started> {
  const database = await createBenchDatabase(options.mysqlUrl);
  const prefix = `aisbf-bench-${process.pid}-${Date.now()}:`;
  const env = {
    AISBF_DATABASE_URL: database.url,
    AISBF_REDIS_URL: options.redisUrl,
    AISBF_REDIS_PREFIX: prefix,
    AISBF_SECRET_KEY: options.secretKey,
    AISBF_HOST: '127.0.0.1',
  };
  const nodes: AisbfNode[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.stop()));
    await database.drop();
  };
  try {
    const spawnRole = async (
      role: string,
      extra: Record<string, string> = {},
      nodeArgs: string[] = [],
    ): Promise<AisbfNode> => {
      const node = await spawnBundled(
        options.bundle,
        role,
        { ...env, ...extra },
        { cwd: options.cwd, logDir: options.logDir, nodeArgs },
      );
      nodes.push(node);
      return node;
    };
    const control = await spawnRole('control-plane', { AISBF_ADMIN_TOKEN: ADMIN });
    const worker = await spawnRole('worker', {}, options.workerNodeArgs ?? []);
    const dataPlane = await spawnRole(
      'data-plane',
      { AISBF_DATABASE_URL: '', AISBF_NODE_ID: 'bench' },
      options.nodeArgs ?? [],
    );
    const token = await configureTenant(control.url, ADMIN, options.mockUrl);
    await waitForRoutes(dataPlane.url, token);
    return {
      targets: [
        {
          ...gatewayTarget('aisbf data-plane', dataPlane.url, token),
          pid: dataPlane.pid,
          production: true,
          runs: '`node dist/aisbf.mjs data-plane`: snapshot from Redis, usage to the BullMQ queue (a `worker` drains it into MariaDB meanwhile), rate limiter, budgets and cooldowns in Redis, log level info to a file; same token limits',
        },
      ],
      helpers: [
        { name: 'control-plane', pid: control.pid },
        { name: 'worker', pid: worker.pid },
      ],
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const DIAGNOSTIC_TOKEN = 'aisbf_bench_token_0123456789abcdefghijklmnopqrstuvwxyz';

/** The stripped data plane (no usage sink, no limiter, log level error) from a snapshot file: a diagnostic. */
export async function startDiagnostic(options: {
  /** The bundled `test/scenarios/data-plane-main.ts`. */
  entry: string;
  cwd: string;
  mockUrl: string;
  /** Where the snapshot file goes. */
  dir: string;
  nodeArgs?: string[];
}): Promise<Started> {
  const secretKey = generateSecretKey();
  const snapshot = buildTestSnapshot({
    secretBox: createSecretBox(secretKey),
    users: [{ username: 'bench', token: DIAGNOSTIC_TOKEN }],
    providers: [{ id: 'mock', endpoint: options.mockUrl, apiKey: 'sk-bench-upstream', models: [...MOCK_MODELS] }],
  });
  const file = join(options.dir, `snapshot-${Date.now()}.json`);
  await writeFile(file, JSON.stringify(snapshot));
  const service = await spawnService({
    entry: options.entry,
    runtime: 'node',
    cwd: options.cwd,
    args: ['--snapshot', file, '--secret-key', secretKey, '--log-level', 'error'],
    ...(options.nodeArgs === undefined ? {} : { nodeArgs: options.nodeArgs }),
  });
  return {
    targets: [
      {
        name: 'diagnostic: data plane alone',
        url: `${service.url}/v1`,
        headers: { authorization: `Bearer ${DIAGNOSTIC_TOKEN}` },
        modelPrefix: 'mock/',
        pid: service.pid,
        production: false,
        runs: '`test/scenarios/data-plane-main.ts`: `createDataPlane` from a snapshot file, no usage sink, no limiter, log level error (what no user runs)',
      },
    ],
    helpers: [],
    stop: async () => void (await service.stop()),
  };
}
