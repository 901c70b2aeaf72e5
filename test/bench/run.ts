import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTestSnapshot, spawnService, type SpawnedService } from '../../packages/testkit/src/index';
import { createSecretBox, generateSecretKey } from '../../packages/secrets/src/index';
import { createRedisSnapshotStore } from '../../packages/bus/src/index';
import { spawnAisbf } from '../support/spawn-aisbf';
import { bundle, bundleTempDir } from '../../scripts/bundle';
import { readBenchConfig } from './env';
import { sequentialLatency } from './latency';
import { combineRounds, runLoad, type LoadResult, type LoadTarget } from './load';
import { measureOpenStreams } from './open-streams';
import { readProcessMemory } from './process-rss';
import { renderDoc, renderTables, type BenchFigures } from './report';
import { handWrittenStart, sealGenerated } from './doc-seal';

/**
 * `pnpm bench` (docs/benchmarks.md): requests/s direct vs pass-through vs aisbf, non-stream and
 * stream; sequential p50/p99 and aisbf's added latency; RSS with N open streams. One run, ratios.
 * The three processes run as production does: bundled with the setup `pnpm build` uses
 * (scripts/bundle.ts) and started with plain node, so no TypeScript loader is in any figure.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const MOCK_ENTRY = join(root, 'packages/testkit/src/mock-upstream-main.ts');
const PASS_ENTRY = join(root, 'test/bench/pass-through.ts');
const DP_ENTRY = join(root, 'test/scenarios/data-plane-main.ts');
const DP_INDEX = join(root, 'packages/data-plane/src/index.ts');
const CLI_ENTRY = join(root, 'packages/cli/src/main.ts');
const TOKEN = 'aisbf_bench_token_0123456789abcdefghijklmnopqrstuvwxyz';
const WHOLE = Array.from({ length: 60 }, (_, i) => `w${i + 1}`).join(' ');

const config = readBenchConfig();
const log = (line: string): void => {
  process.stderr.write(`[bench] ${line}\n`);
};
const services: SpawnedService[] = [];
const notes: string[] = [];

async function check(target: LoadTarget): Promise<void> {
  const res = await fetch(`${target.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers },
    body: JSON.stringify({ model: target.model, messages: [{ role: 'user', content: 'check' }] }),
  });
  const text = await res.text();
  if (res.status !== 200 || !text.includes(WHOLE))
    throw new Error(`${target.name} did not answer the sanity request: ${res.status} ${text.slice(0, 300)}`);
}

async function mockControl(mockUrl: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${mockUrl.replace(/\/v1$/, '')}/__mock/${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`mock control ${path} failed: ${res.status}`);
}

let tmp: string | undefined;
let bundleDir: string | undefined;
/** The bundled entries, by name; filled at the start of the run. */
let entries: Record<string, string> = {};

const dataPlaneReady = (): boolean =>
  existsSync(DP_ENTRY) && existsSync(DP_INDEX) && readFileSync(DP_INDEX, 'utf8').includes('createDataPlane');

/** Starts the pass-through or the data plane (from a hand-built snapshot) in its own process. */
async function startGateway(kind: string, mockUrl: string): Promise<{ service: SpawnedService; target: LoadTarget }> {
  if (kind === 'pass-through') {
    const service = await spawnService({
      entry: entries['pass-through']!,
      runtime: 'node',
      cwd: root,
      args: ['--upstream', mockUrl],
    });
    return { service, target: { name: 'pass-through', url: service.url, headers: {}, model: 'm1' } };
  }
  tmp ??= await mkdtemp(join(tmpdir(), 'aisbf-bench-'));
  const secretKey = generateSecretKey();
  const snapshot = buildTestSnapshot({
    secretBox: createSecretBox(secretKey),
    users: [{ username: 'bench', token: TOKEN }],
    providers: [{ id: 'mock', endpoint: mockUrl, apiKey: 'sk-bench-upstream', models: ['m1'] }],
  });
  const snapshotFile = join(tmp, `snapshot-${Date.now()}.json`);
  await writeFile(snapshotFile, JSON.stringify(snapshot));
  // The data plane's default upstream pool (unbounded sockets per origin, upstream-pools.ts).
  const service = await spawnService({
    entry: entries['data-plane']!,
    runtime: 'node',
    cwd: root,
    args: ['--snapshot', snapshotFile, '--secret-key', secretKey, '--log-level', 'error'],
  });
  return {
    service,
    target: {
      name: 'aisbf',
      url: `${service.url}/v1`,
      headers: { authorization: `Bearer ${TOKEN}` },
      model: 'mock/m1',
    },
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  notes.push(
    `load average (1, 5, 15 min) when the run started: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')} on ${cpus().length} cores.`,
  );
  // All three under the same runtime, bundled in one build: the ratios compare code, not loaders.
  bundleDir = await bundleTempDir('aisbf-bench');
  const built = await bundle({
    entryPoints: {
      'mock-upstream': MOCK_ENTRY,
      'pass-through': PASS_ENTRY,
      ...(dataPlaneReady() ? { 'data-plane': DP_ENTRY, aisbf: CLI_ENTRY } : {}),
    },
    outdir: bundleDir,
  });
  entries = built.files;
  log(`bundled ${Object.keys(entries).join(', ')} into ${bundleDir}`);
  const mock = await spawnService({
    entry: entries['mock-upstream']!,
    runtime: 'node',
    cwd: root,
    args: ['--models', 'm1', '--words', '60'],
  });
  services.push(mock);
  const pass = await startGateway('pass-through', mock.url);
  services.push(pass.service);
  const targets: Array<LoadTarget & { pid: number }> = [
    { name: 'direct', url: mock.url, headers: {}, model: 'm1', pid: mock.pid },
    { ...pass.target, pid: pass.service.pid },
  ];
  if (dataPlaneReady()) {
    const aisbf = await startGateway('aisbf', mock.url);
    services.push(aisbf.service);
    targets.push({ ...aisbf.target, pid: aisbf.service.pid });
  } else {
    notes.push('aisbf was not measured: packages/data-plane/src/index.ts does not export createDataPlane yet.');
    log(notes[notes.length - 1]!);
  }

  for (const target of targets) await check(target);
  const fresh = await Promise.all(targets.map((t) => readProcessMemory(t.pid)));
  targets.forEach((t, i) =>
    notes.push(
      `${t.name} RSS right after start and one request: ${fresh[i]?.rssMiB.toFixed(1)} MiB (plain node running its bundle).`,
    ),
  );
  log(`targets up: ${targets.map((t) => `${t.name} ${t.url}`).join(', ')}`);

  const throughput = { nonStream: [] as LoadResult[], stream: [] as LoadResult[] };
  const roundS = Math.max(1, Math.round(config.durationS / config.rounds));
  for (const stream of [false, true]) {
    for (const target of targets) await runLoad(target, stream, 1, config.connections);
    const perTarget: LoadResult[][] = targets.map(() => []);
    for (let round = 0; round < config.rounds; round += 1) {
      // Rotate the order each round so no target always runs right after another's burst.
      for (let k = 0; k < targets.length; k += 1) {
        const t = (k + round) % targets.length;
        perTarget[t]!.push(await runLoad(targets[t]!, stream, roundS, config.connections));
      }
    }
    targets.forEach((target, t) => {
      const combined = combineRounds(perTarget[t]!);
      (stream ? throughput.stream : throughput.nonStream).push(combined);
      log(
        `${stream ? 'stream    ' : 'non-stream'} ${target.name}: median ${combined.rps.toFixed(0)} req/s (rounds ${combined.rounds?.map((r) => r.toFixed(0)).join(', ')}), errors ${combined.errors}, non2xx ${combined.non2xx}`,
      );
    });
  }

  const latency = await sequentialLatency(targets, config.sequential);
  targets.forEach((t, i) =>
    log(`sequential ${t.name}: p50 ${latency[i]?.p50Ms.toFixed(3)} ms, p99 ${latency[i]?.p99Ms.toFixed(3)} ms`),
  );

  // Fresh gateway processes for the memory figure, so it is not inflated by heap the throughput runs
  // left behind: what a node holding N streams costs, not what it kept from the last burst.
  const streams: BenchFigures['streams'] = [];
  await mockControl(mock.url, 'default', { kind: 'ok', chunkDelayMs: 1000 });
  for (const target of targets.filter((t) => t.name !== 'direct')) {
    const fresh = await startGateway(target.name, mock.url);
    services.push(fresh.service);
    await check(fresh.target);
    const result = await measureOpenStreams(fresh.target, fresh.service.pid, config.streams, 45_000);
    streams.push({ target: target.name, result });
    log(
      `streams ${target.name}: ${result.open}/${result.requested} open, RSS ${result.loaded.rssMiB.toFixed(1)} MiB (before ${result.idle.rssMiB.toFixed(1)})`,
    );
    await fresh.service.stop();
  }
  if (entries['aisbf'] !== undefined) {
    const role = await productionRoleStreams(mock.url);
    if (role !== null) streams.push(role);
  }
  await mockControl(mock.url, 'reset', {});

  const figures: BenchFigures = { config, targets: targets.map((t) => t.name), throughput, latency, streams, notes };
  const tables = renderTables(figures);
  process.stdout.write(`\n${tables}\n\n`);
  if (config.writeDocs) {
    // Keep the hand-written sections (everything from the first "## … written by hand" heading on):
    // only the generated part above them is replaced.
    const docPath = join(root, 'docs/benchmarks.md');
    const previous = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '';
    const handWritten = handWrittenStart(previous);
    const kept = handWritten >= 0 ? previous.slice(handWritten) : '';
    await writeFile(docPath, `${sealGenerated(renderDoc(figures, tables, new Date()))}${kept}`);
    log('wrote docs/benchmarks.md');
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/**
 * The same memory figure for what a cluster runs: `aisbf data-plane` from the production bundle,
 * its snapshot read from Redis, with every Redis client of the role (bus, cooldowns, limits,
 * budgets, health, usage queue) and its metrics and logger. Skipped, with a note, without Redis.
 */
async function productionRoleStreams(mockUrl: string): Promise<BenchFigures['streams'][number] | null> {
  const name = 'aisbf data-plane role';
  if (config.redisUrl === null) {
    notes.push(`${name}: not measured (AISBF_BENCH_REDIS_URL=off).`);
    return null;
  }
  const prefix = `aisbf-bench-${process.pid}-${Date.now()}:`;
  const store = createRedisSnapshotStore({ url: config.redisUrl, prefix });
  try {
    const secretKey = generateSecretKey();
    const snapshot = buildTestSnapshot({
      secretBox: createSecretBox(secretKey),
      users: [{ username: 'bench', token: TOKEN }],
      providers: [{ id: 'mock', endpoint: mockUrl, apiKey: 'sk-bench-upstream', models: ['m1'] }],
    });
    const stored = await Promise.race([
      store.put(snapshot),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 3000)),
    ]);
    if (!stored) {
      notes.push(`${name}: not measured (no Redis at ${config.redisUrl}).`);
      return null;
    }
    const node = await spawnAisbf(
      'data-plane',
      {
        AISBF_REDIS_URL: config.redisUrl,
        AISBF_REDIS_PREFIX: prefix,
        AISBF_SECRET_KEY: secretKey,
        AISBF_HOST: '127.0.0.1',
        AISBF_LOG_LEVEL: 'error',
      },
      { bundle: entries['aisbf']!, args: ['--port', '0'], timeoutMs: 20_000 },
    );
    try {
      const target: LoadTarget = {
        name,
        url: `${node.url}/v1`,
        headers: { authorization: `Bearer ${TOKEN}` },
        model: 'mock/m1',
      };
      await check(target);
      const result = await measureOpenStreams(target, node.child.pid!, config.streams, 45_000);
      log(
        `streams ${name}: ${result.open}/${result.requested} open, RSS ${result.loaded.rssMiB.toFixed(1)} MiB (before ${result.idle.rssMiB.toFixed(1)})`,
      );
      return { target: name, result };
    } finally {
      await node.stop();
    }
  } finally {
    await store.close();
  }
}

try {
  await main();
} catch (error) {
  process.exitCode = 1;
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  for (const service of services) log(`stderr of ${service.url}:\n${service.stderr().slice(-2000)}`);
} finally {
  await Promise.all(services.map((s) => s.stop()));
  if (tmp) await rm(tmp, { recursive: true, force: true });
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
}
