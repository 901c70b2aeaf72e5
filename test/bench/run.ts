import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnService, type SpawnedService } from '../../packages/testkit/src/index';
import { generateSecretKey } from '../../packages/secrets/src/index';
import { bundle, bundleCli, bundleTempDir } from '../../scripts/bundle';
import { startAllInOne, startCluster, startDiagnostic, type BenchTarget, type Started } from './aisbf-targets';
import { readBenchConfig } from './env';
import { sequentialLatency } from './latency';
import { measureOpenStreams } from './open-streams';
import { productionRoleStreams } from './production-role-streams';
import { readProcessMemory } from './process-rss';
import { describePinning, pinProcess, planPinning, type Pinning } from './pinning';
import { measureDialectRows, renderDialectRows } from './dialect-rows';
import { replaceGenerated } from './doc-seal';
import { cpuPerRequest, cpuSnapshot, sharedServices, type NamedPid } from './cpu-snapshot';
import { renderRuns, type BenchRun, type StreamsRow, type TargetCpu } from './report';
import { MOCK_MODELS, SHAPES, chatBody, type LoadTarget, type Shape } from './shapes';
import { combineRounds, medianRound, runWrk, type LoadResult } from './wrk';

/**
 * `pnpm bench`: requests/s and sequential latency of what users run (`aisbf start`, the cluster's
 * `aisbf data-plane`) next to a bare pass-through proxy and the mock directly, in the same run,
 * for four request shapes; RSS with N open streams. Every process is a bundle run with plain node,
 * the aisbf ones the very CLI `pnpm build` produces. Writes its tables into docs/benchmarks.md.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));

const config = readBenchConfig();
const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
const cleanups: Array<() => Promise<unknown>> = [];
const roundS = Math.max(1, Math.round(config.durationS / config.rounds));

async function check(target: LoadTarget): Promise<void> {
  for (const shape of SHAPES) {
    const res = await fetch(`${target.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...target.headers },
      body: chatBody(target, shape),
    });
    const text = await res.text();
    const last = `w${shape.words}`;
    if (res.status !== 200 || !text.includes(last) || (shape.stream && !text.includes('[DONE]')))
      throw new Error(`${target.name} did not answer ${shape.name}: ${res.status} ${text.slice(0, 300)}`);
  }
}

async function mockControl(mockUrl: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${mockUrl.replace(/\/v1$/, '')}/__mock/${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`mock control ${path} failed: ${res.status}`);
}

/** The mock's answers: `w1` one word, `w60` sixty (its default). */
const mockDefaults = (mockUrl: string, extra: Record<string, unknown> = {}): Promise<void> =>
  mockControl(mockUrl, 'default', [
    { kind: 'ok', ...extra },
    { kind: 'ok', model: 'w1', words: 1, ...extra },
  ]);

async function spawnBundle(entry: string, args: string[]): Promise<SpawnedService> {
  const service = await spawnService({ entry, runtime: 'node', cwd: root, args });
  cleanups.push(() => service.stop());
  return service;
}

/** One round of wrk against `target`, and what it cost per request (docs/benchmarks.md "Method", CPU per request). */
async function measureRound(
  target: BenchTarget,
  shape: Shape,
  options: { scriptDir: string; mockPid: number; helpers: NamedPid[]; wrkCpus: { cpus?: string } },
): Promise<{ load: LoadResult; cpu: TargetCpu }> {
  const direct = target.pid === options.mockPid;
  const pids = [target.pid, options.mockPid, ...options.helpers.map((h) => h.pid)];
  const before = cpuSnapshot(pids);
  const load = await runWrk(target, shape, {
    durationS: roundS,
    connections: config.connections,
    scriptDir: options.scriptDir,
    ...options.wrkCpus,
  });
  // wrk is this process's child, reaped by the time runWrk resolves: its CPU is in childrenUs.
  const used = cpuPerRequest(before, cpuSnapshot(pids), load.requests);
  const [gatewayUs = NaN, mockUs = NaN, ...helpersUs] = used.processUs;
  return {
    load,
    cpu: {
      rps: load.rps,
      gatewayUs: direct ? NaN : gatewayUs,
      helpers: options.helpers.map((h, i) => ({ name: h.name, us: helpersUs[i] ?? NaN })),
      loadUs: used.childrenUs + mockUs,
      boxUs: used.boxUs,
      boxBusy: used.boxBusy,
    },
  };
}

async function measure(
  targets: BenchTarget[],
  options: {
    scriptDir: string;
    mockUrl: string;
    mockPid: number;
    /** Each target's helper processes by name (absent: none). */
    helpers: ReadonlyMap<string, NamedPid[]>;
    pinning: Pinning | null;
  },
): Promise<BenchRun> {
  const { scriptDir, mockUrl, pinning } = options;
  const wrkCpus = pinning === null ? {} : { cpus: pinning.load };
  const load = loadavg();
  const started = new Date();
  const throughput: LoadResult[][] = [];
  const cpu: TargetCpu[][] = [];
  const latency: BenchRun['latency'] = [];
  for (const shape of SHAPES) {
    // The mock keeps a record of every request: start each shape with an empty one.
    await mockControl(mockUrl, 'reset', {});
    await mockDefaults(mockUrl);
    const perTarget: Array<Array<{ load: LoadResult; cpu: TargetCpu }>> = targets.map(() => []);
    for (const target of targets)
      await runWrk(target, shape, { durationS: 1, connections: config.connections, scriptDir, ...wrkCpus });
    for (let round = 0; round < config.rounds; round += 1)
      for (let k = 0; k < targets.length; k += 1) {
        // Rotated each round so no target always runs right after another's burst.
        const t = (k + round) % targets.length;
        perTarget[t]!.push(
          await measureRound(targets[t]!, shape, {
            scriptDir,
            mockPid: options.mockPid,
            helpers: options.helpers.get(targets[t]!.name) ?? [],
            wrkCpus,
          }),
        );
      }
    const combined = perTarget.map((rounds) => combineRounds(rounds.map((r) => r.load)));
    throughput.push(combined);
    // The CPU figures of the round whose requests/s is the median, so req/s and µs/request are one window's.
    cpu.push(perTarget.map((rounds) => rounds[medianRound(rounds.map((r) => r.load))]!.cpu));
    targets.forEach((t, i) =>
      log(
        `${shape.name} ${t.name}: ${combined[i]!.rps.toFixed(0)} req/s (errors ${combined[i]!.errors}, non-2xx ${combined[i]!.non2xx})`,
      ),
    );
    latency.push(await sequentialLatency(targets, shape, config.sequential));
  }
  return { started, load, throughput, latency, cpu };
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const tmp = await mkdtemp(join(tmpdir(), 'aisbf-bench-'));
  cleanups.push(() => rm(tmp, { recursive: true, force: true }));
  const bundleDir = await bundleTempDir('aisbf-bench');
  cleanups.push(() => rm(bundleDir, { recursive: true, force: true }));
  const built = await bundle({
    entryPoints: {
      'mock-upstream': join(root, 'packages/testkit/src/mock-upstream-main.ts'),
      'pass-through': join(root, 'test/bench/pass-through.ts'),
      'data-plane': join(root, 'test/scenarios/data-plane-main.ts'),
      'anthropic-fake': join(root, 'test/bench/anthropic-fake.ts'),
    },
    outdir: bundleDir,
  });
  // The CLI exactly as `pnpm build` bundles it (dist/aisbf.mjs), in a directory of its own.
  const cli = (await bundleCli(join(bundleDir, 'cli'))).files['aisbf']!;
  const mock = await spawnBundle(built.files['mock-upstream']!, ['--models', MOCK_MODELS.join(','), '--words', '60']);
  await mockDefaults(mock.url);
  const pass = await spawnBundle(built.files['pass-through']!, ['--upstream', mock.url]);
  const diagnostic = await startDiagnostic({
    entry: built.files['data-plane']!,
    cwd: root,
    mockUrl: mock.url,
    dir: tmp,
  });
  cleanups.push(() => diagnostic.stop());
  const targets: BenchTarget[] = [
    {
      name: 'direct',
      url: mock.url,
      headers: {},
      modelPrefix: '',
      pid: mock.pid,
      production: false,
      runs: 'the mock upstream itself',
    },
    {
      name: 'pass-through',
      url: pass.url,
      headers: {},
      modelPrefix: '',
      pid: pass.pid,
      production: false,
      runs: '`test/bench/pass-through.ts`: reads the body, parses the JSON, forwards it with an undici pool, pipes the answer back (lean since 2026-12-06: no `stream.pipeline`, no AbortController per request)',
    },
  ];
  /** Processes a row needs that are not under test (the cluster's control plane and worker). */
  const helperPids: number[] = [];
  /** What each target's CPU per request counts besides its own process. */
  const helpers = new Map<string, NamedPid[]>();
  const add = async (start: () => Promise<Started>, shared: NamedPid[] = []): Promise<void> => {
    const s = await start();
    cleanups.push(() => s.stop());
    targets.push(...s.targets);
    helperPids.push(...s.helpers.map((h) => h.pid));
    for (const t of s.targets) helpers.set(t.name, [...s.helpers, ...shared]);
  };
  await add(() => startAllInOne({ bundle: cli, cwd: root, dataDir: join(tmp, 'start'), mockUrl: mock.url }));
  const notes: string[] = [];
  if (config.redisUrl !== null && config.mysqlUrl !== null)
    await add(
      () =>
        startCluster({
          bundle: cli,
          cwd: root,
          logDir: tmp,
          mysqlUrl: config.mysqlUrl!,
          redisUrl: config.redisUrl!,
          mockUrl: mock.url,
          secretKey: generateSecretKey(),
        }),
      // Redis and MariaDB on this machine serve the cluster row (not when the URLs point elsewhere).
      [config.redisUrl, config.mysqlUrl].every((u) => ['127.0.0.1', 'localhost'].includes(new URL(u!).hostname))
        ? sharedServices()
        : [],
    );
  else notes.push('aisbf data-plane: not measured (AISBF_BENCH_REDIS_URL or AISBF_BENCH_MYSQL_URL is off).');
  targets.push(...diagnostic.targets);
  for (const target of targets) await check(target);
  const pinning = await planPinning(config.pin);
  if (pinning !== null) {
    // The gateways under test on a core of their own, everything that makes or answers the load
    // (and the helper roles) on the other: docs/benchmarks.md "Method".
    await pinProcess(process.pid, pinning.load);
    await pinProcess(mock.pid, pinning.load);
    for (const pid of helperPids) await pinProcess(pid, pinning.load);
    for (const target of targets) if (target.name !== 'direct') await pinProcess(target.pid, pinning.gateway);
  }
  log(describePinning(pinning));
  log(`targets up: ${targets.map((t) => `${t.name} ${t.url}`).join(', ')}`);

  const runs: BenchRun[] = [];
  for (let r = 0; r < config.runs; r += 1) {
    log(
      `run ${r + 1} of ${config.runs}, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(', ')}`,
    );
    runs.push(await measure(targets, { scriptDir: tmp, mockUrl: mock.url, mockPid: mock.pid, helpers, pinning }));
  }
  const rssAfterLoad = await Promise.all(targets.map((t) => readProcessMemory(t.pid)));

  // Memory: fresh processes, so heap the throughput runs left behind does not count.
  const streams: StreamsRow[] = [];
  await mockDefaults(mock.url, { chunkDelayMs: 1000 });
  const freshPass = await spawnBundle(built.files['pass-through']!, ['--upstream', mock.url]);
  const passTarget: LoadTarget = { name: 'pass-through', url: freshPass.url, headers: {}, modelPrefix: '' };
  streams.push({
    target: 'pass-through',
    result: await measureOpenStreams(passTarget, freshPass.pid, config.streams, 45_000),
  });
  await freshPass.stop();
  if (config.redisUrl !== null) {
    const role = await productionRoleStreams({
      bundle: cli,
      cwd: root,
      logDir: tmp,
      redisUrl: config.redisUrl,
      mockUrl: mock.url,
      streams: config.streams,
    });
    if (role !== null) streams.push(role);
  }
  await mockDefaults(mock.url);

  // The dialect rows (docs/benchmarks.md "Dialects"): their own pairs, measured after the main runs.
  const dialectRows = await measureDialectRows({
    cli,
    cwd: root,
    mockUrl: mock.url,
    anthropicFake: built.files['anthropic-fake']!,
    passThrough: built.files['pass-through']!,
    dir: tmp,
    durationS: config.durationS,
    rounds: config.rounds,
    connections: config.connections,
    pinning,
    log,
  });
  const tables = `${renderRuns({ config, targets, runs, streams, rssAfterLoad, notes, pinning: describePinning(pinning) })}\n\n${renderDialectRows(dialectRows)}`;
  process.stdout.write(`\n${tables}\n`);
  if (config.writeDocs) {
    const docPath = join(root, 'docs/benchmarks.md');
    await writeFile(docPath, replaceGenerated(existsSync(docPath) ? readFileSync(docPath, 'utf8') : '', tables));
    log('wrote the generated part of docs/benchmarks.md');
  }
  log(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s on ${cpus().length} cores`);
}

try {
  await main();
} catch (error) {
  process.exitCode = 1;
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((e: unknown) => log(`cleanup: ${String(e)}`));
}
