import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createDatabase, migrateToLatest } from '../../packages/db/src/index';
import { createSecretBox, generateSecretKey } from '../../packages/secrets/src/index';
import { spawnService, type SpawnedService } from '../../packages/testkit/src/index';
import { bundle, bundleCli, bundleTempDir } from '../../scripts/bundle';
import { ADMIN, createBenchDatabase, graphql, spawnBundled, type AisbfNode } from './aisbf-targets';
import { replaceGenerated } from './doc-seal';
import { readProcessMemory } from './process-rss';
import { percentileOf, renderScale, type NodeFigures, type ScaleReport } from './scale-report';
import { readScaleConfig } from './scale-env';
import { scaleChat } from './scale-chat';
import { startBackgroundLoad } from './background-load';
import { watchMeasuringProcess } from './measuring-process';
import { SCALE_SHAPE, scaleToken, scaleTokenId, scaleUsername, seedScale } from './scale-seed';

/**
 * `pnpm bench:scale` (docs/benchmarks.md "Scale"): N generated users in a MariaDB database of its
 * own, one `aisbf control-plane` and two `aisbf data-plane` nodes on Redis, all the bundle
 * `pnpm build` makes, run with plain node. It measures whatever propagation the checkout has: boot
 * time and RSS of a data-plane node, RSS after serving many distinct users, how fast single-user
 * changes reach both nodes while they serve, what a cold user's first request adds, and that a
 * revoked token is refused on both nodes. Writes its part of docs/benchmarks.md.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const config = readScaleConfig();
const log = (line: string): void => void process.stderr.write(`[bench:scale] ${line}\n`);
const cleanups: Array<() => Promise<unknown>> = [];
const tokenSeed = generateSecretKey();
const token = (i: number): string => scaleToken(tokenSeed, i);

/** One chat request of user `user` (its own token) through its rotation. */
const chat = (url: string, user: number): Promise<{ status: number; ms: number }> => scaleChat(url, token(user));

/** Deletes every key under `prefix` (SCAN + UNLINK in batches). */
async function unlinkPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 10_000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Runs `count` jobs, `concurrency` at a time. */
async function pool(count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) await job(i);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}

/** Spawns a data-plane node and times it until `/readyz` says it holds a snapshot. */
async function bootDataPlane(cli: string, env: Record<string, string>, id: string, dir: string) {
  const t0 = performance.now();
  const node = await spawnBundled(
    cli,
    'data-plane',
    { ...env, AISBF_NODE_ID: id },
    { cwd: root, logDir: dir, timeoutMs: 20 * 60_000 },
  );
  cleanups.push(() => node.stop());
  for (;;) {
    const res = await fetch(`${node.url}/readyz`).catch(() => null);
    if (res?.status === 200) break;
    await res?.arrayBuffer();
    await new Promise((r) => setTimeout(r, 20));
  }
  return { node, bootMs: performance.now() - t0 };
}

/** Polls both nodes until `seen` holds on each; milliseconds from now until the later of the two. */
async function untilBoth(nodes: AisbfNode[], seen: (url: string) => Promise<boolean>, timeoutMs: number) {
  const t0 = performance.now();
  const times = await Promise.all(
    nodes.map(async (node) => {
      while (!(await seen(node.url))) {
        if (performance.now() - t0 > timeoutMs) return Infinity;
      }
      return performance.now() - t0;
    }),
  );
  return Math.max(...times);
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const tmp = await mkdtemp(join(tmpdir(), 'aisbf-scale-'));
  cleanups.push(() => rm(tmp, { recursive: true, force: true }));
  const bundleDir = await bundleTempDir('aisbf-scale');
  cleanups.push(() => rm(bundleDir, { recursive: true, force: true }));
  const built = await bundle({
    entryPoints: { 'mock-upstream': join(root, 'packages/testkit/src/mock-upstream-main.ts') },
    outdir: bundleDir,
  });
  const cli = (await bundleCli(join(bundleDir, 'cli'))).files['aisbf']!;
  const mock: SpawnedService = await spawnService({
    entry: built.files['mock-upstream']!,
    runtime: 'node',
    cwd: root,
    args: ['--models', SCALE_SHAPE.model, '--words', '4'],
  });
  cleanups.push(() => mock.stop());

  const database = await createBenchDatabase(config.mysqlUrl);
  cleanups.push(() => database.drop());
  const secretKey = generateSecretKey();
  const handle = createDatabase(database.url);
  await migrateToLatest(handle.db);
  log(`generating ${config.users} users`);
  const seed = await seedScale(handle.db, {
    users: config.users,
    endpoint: mock.url,
    secretBox: createSecretBox(secretKey),
    tokenSeed,
  });
  await handle.close();
  log(`generated ${seed.rows} rows in ${(seed.ms / 1000).toFixed(1)} s`);

  const env = {
    AISBF_DATABASE_URL: database.url,
    AISBF_REDIS_URL: config.redisUrl,
    AISBF_REDIS_PREFIX: `aisbf-scale-${process.pid}-${Date.now()}:`,
    AISBF_SECRET_KEY: secretKey,
    AISBF_HOST: '127.0.0.1',
    AISBF_LOG_LEVEL: 'warn',
  };
  // The run's keys (about 200,000 at 100,000 users) leave Redis with it.
  cleanups.push(() => unlinkPrefix(config.redisUrl, env.AISBF_REDIS_PREFIX));
  const controlStarted = performance.now();
  const control = await spawnBundled(
    cli,
    'control-plane',
    { ...env, AISBF_ADMIN_TOKEN: ADMIN },
    { cwd: root, logDir: tmp, timeoutMs: 20 * 60_000 },
  );
  cleanups.push(() => control.stop());
  const controlBootMs = performance.now() - controlStarted;
  log(`control plane up in ${controlBootMs.toFixed(0)} ms`);

  const dataEnv = { ...env, AISBF_DATABASE_URL: '' };
  const booted = [];
  for (const id of ['scale-a', 'scale-b']) {
    const { node, bootMs } = await bootDataPlane(cli, dataEnv, id, tmp);
    booted.push({ node, bootMs, rssBootMiB: (await readProcessMemory(node.pid)).rssMiB });
    log(`data plane ${id} ready in ${bootMs.toFixed(0)} ms`);
  }
  const nodes = booted.map((b) => b.node);

  // Every node serves the same `served` distinct users, so each one's RSS is after that many.
  log(`serving ${config.served} distinct users on each node`);
  const failures: string[] = [];
  const serveStarted = performance.now();
  await pool(config.served * nodes.length, config.concurrency, async (k) => {
    const user = Math.floor(k / nodes.length);
    const { status } = await chat(nodes[k % nodes.length]!.url, user);
    if (status !== 200 && failures.length < 5) failures.push(`${scaleUsername(user)}: ${status}`);
  });
  const serveS = (performance.now() - serveStarted) / 1000;
  if (failures.length > 0) throw new Error(`requests failed while serving: ${failures.join(', ')}`);
  const rssServed = await Promise.all(nodes.map(async (n) => readProcessMemory(n.pid)));

  // Propagation while serving: background requests of served users on both nodes meanwhile, from a
  // thread of their own so their garbage and callbacks stay out of the thread that times
  // (test/bench/background-load.ts).
  let changeFailure: string | null = null;
  const load = await startBackgroundLoad({ urls: nodes.map((n) => n.url), served: config.served, tokenSeed, lanes: 4 });
  const propagationWatch = watchMeasuringProcess();
  const propagation: number[] = [];
  const phaseEnds = performance.now() + config.phaseBudgetS * 1000;
  // A propagation too slow to finish the changes in the budget is reported as measured so far.
  for (let c = 0; c < config.changes && performance.now() < phaseEnds; c += 1) {
    const user = Math.floor((c * config.served) / config.changes);
    const model = `fresh-${c}`;
    const sent = performance.now();
    try {
      await graphql(
        control.url,
        ADMIN,
        'mutation($o: String, $i: ProviderInput!) { upsertProvider(owner: $o, input: $i) { id } }',
        {
          o: scaleUsername(user),
          i: { id: SCALE_SHAPE.providers[1], type: 'openai', endpoint: mock.url, models: [SCALE_SHAPE.model, model] },
        },
      );
    } catch (error) {
      // What breaks is the finding: report it instead of losing the run.
      const cause =
        error instanceof Error
          ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}`
          : String(error);
      changeFailure = `change ${c + 1}: the mutation failed after ${((performance.now() - sent) / 1000).toFixed(0)} s: ${cause}`;
      break;
    }
    propagation.push(
      await untilBoth(
        nodes,
        async (url) => {
          const res = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${token(user)}` } });
          return (await res.text()).includes(`/${model}"`);
        },
        Math.max(1_000, Math.min(60_000, phaseEnds - performance.now())),
      ),
    );
  }
  const propagationBench = propagationWatch.stop();
  const { served: background, failed: backgroundFailed } = await load.stop();
  const propagationS = (performance.now() - (phaseEnds - config.phaseBudgetS * 1000)) / 1000;
  log(
    `propagation p99 ${percentileOf(propagation, 99).toFixed(1)} ms (${background} requests meanwhile in ${propagationS.toFixed(1)} s)`,
  );

  // Cold users: never served on either node; the first request against the second.
  const added: number[] = [];
  const firsts: number[] = [];
  const coldWatch = watchMeasuringProcess();
  for (let c = 0; c < config.cold; c += 1) {
    const user = config.users - 1 - c;
    const url = nodes[c % nodes.length]!.url;
    const first = await chat(url, user);
    const second = await chat(url, user);
    if (first.status !== 200 || second.status !== 200)
      throw new Error(`cold user ${scaleUsername(user)}: ${first.status} then ${second.status}`);
    firsts.push(first.ms);
    added.push(first.ms - second.ms);
  }
  const coldBench = coldWatch.stop();

  // A revoked token: refused on both nodes, and how long after the mutation's reply.
  const revoked = 0;
  let revoke: ScaleReport['revoke'];
  try {
    await graphql(control.url, ADMIN, 'mutation($id: ID!) { revokeApiToken(id: $id) }', {
      id: scaleTokenId(tokenSeed, revoked),
    });
    const ms = await untilBoth(nodes, async (url) => (await chat(url, revoked)).status === 401, 60_000);
    const refusedOnBoth = (await Promise.all(nodes.map((n) => chat(n.url, revoked)))).every((r) => r.status === 401);
    revoke = { ms, refusedOnBoth, failure: null };
  } catch (error) {
    revoke = { ms: NaN, refusedOnBoth: false, failure: error instanceof Error ? error.message : String(error) };
  }

  // A control-plane restart on the same Redis: it re-stores only the parts the commits above
  // changed (docs/cluster.md "Control-plane cost"), where its first boot stored every part.
  await control.stop();
  const restartStarted = performance.now();
  const restarted = await spawnBundled(
    cli,
    'control-plane',
    { ...env, AISBF_ADMIN_TOKEN: ADMIN },
    { cwd: root, logDir: tmp, timeoutMs: 20 * 60_000 },
  );
  cleanups.push(() => restarted.stop());
  const controlRestartMs = performance.now() - restartStarted;
  log(`control plane restarted in ${controlRestartMs.toFixed(0)} ms`);

  const perNode: NodeFigures[] = booted.map((b, i) => ({
    bootMs: b.bootMs,
    rssBootMiB: b.rssBootMiB,
    rssServedMiB: rssServed[i]!.rssMiB,
    peakMiB: rssServed[i]!.peakMiB,
  }));
  const report: ScaleReport = {
    at: new Date().toISOString(),
    // The last commit that changed what is measured (a rebase of the bench itself does not change it);
    // the database layer reads the parts the control plane publishes.
    commit: execFileSync(
      'git',
      ['log', '-1', '--format=%h', '--', 'packages/bus', 'packages/data-plane', 'packages/cli', 'packages/db'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    ).trim(),
    loadAverage: loadavg(),
    users: config.users,
    seed,
    controlBootMs,
    controlRestartMs,
    nodes: perNode,
    served: config.served,
    serveS,
    propagation,
    changesPlanned: config.changes,
    changeFailure,
    background,
    backgroundFailed,
    propagationS,
    cold: { firsts, added },
    bench: { propagation: propagationBench, cold: coldBench },
    revoke,
    totalS: (Date.now() - t0) / 1000,
  };
  const section = renderScale(report);
  process.stdout.write(`\n${section}\n`);
  if (config.writeDocs) {
    const docPath = join(root, 'docs/benchmarks.md');
    const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '';
    await writeFile(docPath, replaceGenerated(doc, section, `pnpm bench:scale ${config.users} users`));
    log('wrote the "Scale" part of docs/benchmarks.md');
  }
}

main()
  .catch((error: unknown) => {
    process.exitCode = 1;
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  })
  .finally(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });
