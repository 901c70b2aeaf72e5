import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnService, type SpawnedService } from '../../packages/testkit/src/spawn-service';
import { bundle, bundleCli, bundleTempDir } from '../../scripts/bundle';
import { BENCH_LIMITS, spawnBundled } from './aisbf-targets';
import { readBenchConfig } from './env';
import { describePinning, pinProcess, pinnedCommand, planPinning, type Pinning } from './pinning';

/**
 * The dialect rows of `pnpm bench` (docs/benchmarks.md "Dialects"), each a ratio of two targets
 * measured in the same run, in alternating rounds, 60-word streams:
 * - an OpenAI client's stream through an `anthropic` entry (translated both ways) vs the same
 *   client through an OpenAI-compatible entry, both `aisbf start`: target ≥ 0.7×;
 * - an Anthropic client through `aisbf start` to an `anthropic` entry (pass-through) vs the same
 *   client through the bare pass-through proxy to the same fake: target ≥ 0.85×.
 * The fake Anthropic API and the pass-through proxy are processes of their own, like the mock.
 */
export interface DialectRow {
  name: string;
  rps: number;
  baseline: string;
  baselineRps: number;
  target: number;
  errors: number;
}

interface Load {
  name: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

const KEY = 'sk-bench-anthropic';
const ADMIN = `aisbf_bench_admin_${'0123456789abcdef'.repeat(2)}`;
const luaString = (s: string): string => `[==[${s}]==]`;

/** wrk against one URL with one body (the chat-only `runWrk` posts to chat/completions). */
async function wrk(
  load: Load,
  durationS: number,
  connections: number,
  dir: string,
  cpuList: string | undefined,
): Promise<number[]> {
  const script = join(dir, `wrk-dialect-${load.name.replace(/\W+/g, '-')}.lua`);
  await writeFile(
    script,
    [
      'wrk.method = "POST"',
      `wrk.body = ${luaString(load.body)}`,
      ...Object.entries({ 'content-type': 'application/json', ...load.headers }).map(
        ([k, v]) => `wrk.headers[ ${luaString(k)} ] = ${luaString(v)}`,
      ),
      'done = function(summary, latency, requests)',
      '  local e = summary.errors',
      '  io.write(string.format(\'{"requests":%d,"durationUs":%d,"errors":%d}\\n\',',
      '    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout + e.status))',
      'end',
    ].join('\n'),
  );
  const [command, args] = pinnedCommand(
    'wrk',
    ['-t1', `-c${connections}`, `-d${durationS}s`, '--timeout', '10s', '-s', script, load.url],
    cpuList,
  );
  const out = await new Promise<string>((resolve, reject) =>
    execFile(command, args, { timeout: (durationS + 30) * 1000 }, (e, stdout, stderr) =>
      e ? reject(new Error(`wrk failed: ${e.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
  const line = out.split('\n').find((l) => l.startsWith('{"requests"'));
  if (line === undefined) throw new Error(`wrk printed no summary:\n${out}`);
  const r = JSON.parse(line) as { requests: number; durationUs: number; errors: number };
  return [r.requests / (r.durationUs / 1e6), r.errors];
}

async function graphql(url: string, query: string, variables: Record<string, unknown> = {}): Promise<unknown> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data: Record<string, unknown> | null; errors?: unknown[] };
  if (body.errors !== undefined) throw new Error(`GraphQL ${query.slice(0, 60)}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Checks a target answers the whole 60-word stream before it is loaded. */
async function check(load: Load, last: string): Promise<void> {
  const res = await fetch(load.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...load.headers },
    body: load.body,
  });
  const text = await res.text();
  if (res.status !== 200 || !text.includes(last))
    throw new Error(`${load.name} did not answer: ${res.status} ${text.slice(0, 300)}`);
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Starts what the rows need next to the caller's mock (its own `aisbf start`, the fake Anthropic
 * API, a pass-through proxy in front of it), measures, stops them.
 */
export async function measureDialectRows(options: {
  cli: string;
  cwd: string;
  /** The OpenAI-compatible mock (base URL ending in `/v1`), serving model `w60` with 60 words. */
  mockUrl: string;
  /** Bundled entries: test/bench/anthropic-fake.ts and test/bench/pass-through.ts. */
  anthropicFake: string;
  passThrough: string;
  dir: string;
  durationS: number;
  rounds: number;
  connections: number;
  /** Cores (pinning.ts): the fake and wrk on the load side, the two gateways on the gateway core. */
  pinning?: Pinning | null;
  log?: (line: string) => void;
}): Promise<DialectRow[]> {
  const pinning = options.pinning ?? null;
  const stops: Array<() => Promise<unknown>> = [];
  const spawn = async (entry: string, args: string[]): Promise<SpawnedService> => {
    const s = await spawnService({ entry, runtime: 'node', cwd: options.cwd, args });
    stops.push(() => s.stop());
    return s;
  };
  try {
    const fake = await spawn(options.anthropicFake, ['--key', KEY, '--models', 'claude-w60', '--words', '60']);
    const proxy = await spawn(options.passThrough, [
      '--upstream',
      `${fake.url}/v1`,
      '--api-key',
      KEY,
      '--forward-headers',
      'anthropic-version,anthropic-beta',
    ]);
    const node = await spawnBundled(
      options.cli,
      'start',
      { AISBF_DATA_DIR: join(options.dir, 'dialects-start'), AISBF_ADMIN_TOKEN: ADMIN, AISBF_HOST: '127.0.0.1' },
      { cwd: options.cwd, logDir: join(options.dir, 'dialects-start') },
    );
    stops.push(() => node.stop());
    if (pinning !== null) {
      await pinProcess(fake.pid, pinning.load);
      await pinProcess(proxy.pid, pinning.gateway);
      await pinProcess(node.pid, pinning.gateway);
    }
    await graphql(node.url, 'mutation { createUser(username: "bench") { username } }');
    const token = (
      (await graphql(
        node.url,
        'mutation($l: JSON) { createApiToken(owner: "bench", name: "load", limits: $l) { token } }',
        { l: BENCH_LIMITS },
      )) as { createApiToken: { token: string } }
    ).createApiToken.token;
    const provider = 'mutation($i: ProviderInput!) { upsertProvider(owner: "GLOBAL", input: $i) { id } }';
    await graphql(node.url, provider, {
      i: { id: 'mock', type: 'openai', endpoint: options.mockUrl, models: ['w60'], adminOnly: false },
    });
    await graphql(node.url, provider, {
      i: { id: 'claude', type: 'anthropic', endpoint: fake.url, apiKey: KEY, models: ['claude-w60'], adminOnly: false },
    });
    const auth = { authorization: `Bearer ${token}` };
    const chat = (model: string): string =>
      JSON.stringify({ model, messages: [{ role: 'user', content: 'Say the words.' }], stream: true, temperature: 0 });
    const messages = (model: string): string =>
      JSON.stringify({ model, max_tokens: 100, messages: [{ role: 'user', content: 'Say the words.' }], stream: true });
    const anthropicHeaders = { 'anthropic-version': '2023-06-01' };
    const pairs: Array<{ name: string; target: number; load: Load; baseline: Load }> = [
      {
        name: 'OpenAI client → `anthropic` entry (translated), 60-chunk stream',
        target: 0.7,
        load: {
          name: 'translated',
          url: `${node.url}/v1/chat/completions`,
          headers: auth,
          body: chat('claude/claude-w60'),
        },
        baseline: {
          name: 'aisbf start → OpenAI-compatible entry',
          url: `${node.url}/v1/chat/completions`,
          headers: auth,
          body: chat('mock/w60'),
        },
      },
      {
        name: 'Anthropic client → `anthropic` entry (pass-through), 60-event stream',
        target: 0.85,
        load: {
          name: 'anthropic pass-through',
          url: `${node.url}/v1/messages`,
          headers: { ...auth, ...anthropicHeaders },
          body: messages('claude/claude-w60'),
        },
        baseline: {
          name: 'bare pass-through proxy → the same fake',
          url: `${proxy.url}/messages`,
          headers: anthropicHeaders,
          body: messages('claude-w60'),
        },
      },
    ];
    // The snapshot reaches the data plane a moment after the writes: retry the first check briefly.
    for (let i = 0; ; i++) {
      try {
        await check(pairs[0]!.load, 'w60');
        break;
      } catch (error) {
        if (i > 100) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    for (const p of pairs) for (const l of [p.load, p.baseline]) await check(l, 'w60');
    const roundS = Math.max(1, Math.round(options.durationS / options.rounds));
    const rows: DialectRow[] = [];
    for (const p of pairs) {
      const loads = [p.load, p.baseline];
      for (const l of loads) await wrk(l, 1, options.connections, options.dir, pinning?.load);
      const rps: number[][] = [[], []];
      let errors = 0;
      for (let round = 0; round < options.rounds; round++)
        for (let k = 0; k < 2; k++) {
          const i = (k + round) % 2;
          const [r, e] = await wrk(loads[i]!, roundS, options.connections, options.dir, pinning?.load);
          rps[i]!.push(r!);
          errors += e!;
        }
      const row = {
        name: p.name,
        rps: median(rps[0]!),
        baseline: p.baseline.name,
        baselineRps: median(rps[1]!),
        target: p.target,
        errors,
      };
      options.log?.(
        `${row.name}: ${row.rps.toFixed(0)} req/s vs ${row.baseline} ${row.baselineRps.toFixed(0)} (${(row.rps / row.baselineRps).toFixed(2)}×), rounds ${rps.map((r) => r.map((x) => x.toFixed(0)).join('/')).join(' vs ')}, errors ${errors}`,
      );
      rows.push(row);
    }
    return rows;
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

/** The rows as a markdown table (ratio against the target in the same run). */
export function renderDialectRows(rows: readonly DialectRow[]): string {
  return [
    '### Dialects',
    '',
    `Each row against its baseline in the same run (${rows.length} pairs, 60-word streams, alternating rounds, median).`,
    '',
    '| dialect path | req/s | baseline (same run) | baseline req/s | ratio | target |',
    '|---|---:|---|---:|---:|---:|',
    ...rows.map((r) => {
      const ratio = r.rps / r.baselineRps;
      return `| ${r.name} | ${r.rps.toFixed(0)} | ${r.baseline} | ${r.baselineRps.toFixed(0)} | ${ratio.toFixed(2)}× ${ratio >= r.target ? '✓' : '✗'} | ≥ ${r.target}× |`;
    }),
  ].join('\n');
}

/** Bundles the two helper processes (and the mock, when run alone). */
export async function bundleDialectEntries(outdir: string): Promise<Record<string, string>> {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const built = await bundle({
    entryPoints: {
      'anthropic-fake': join(root, 'test/bench/anthropic-fake.ts'),
      'pass-through': join(root, 'test/bench/pass-through.ts'),
      'mock-upstream': join(root, 'packages/testkit/src/mock-upstream-main.ts'),
    },
    outdir,
  });
  return built.files;
}

// `pnpm exec tsx test/bench/dialect-rows.ts`: these rows alone, printed (docs/benchmarks.md is not written).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const config = readBenchConfig();
  const log = (line: string): void => void process.stderr.write(`[bench dialects] ${line}\n`);
  const dir = await mkdtemp(join(tmpdir(), 'aisbf-bench-dialects-'));
  const bundleDir = await bundleTempDir('aisbf-bench-dialects');
  try {
    const files = await bundleDialectEntries(bundleDir);
    const cli = (await bundleCli(join(bundleDir, 'cli'))).files['aisbf']!;
    const mock = await spawnService({
      entry: files['mock-upstream']!,
      runtime: 'node',
      cwd: root,
      args: ['--models', 'w60', '--words', '60'],
    });
    try {
      const pinning = await planPinning(config.pin);
      if (pinning !== null) {
        await pinProcess(process.pid, pinning.load);
        await pinProcess(mock.pid, pinning.load);
      }
      log(describePinning(pinning));
      const before = loadavg();
      const rows = await measureDialectRows({
        cli,
        cwd: root,
        mockUrl: mock.url,
        anthropicFake: files['anthropic-fake']!,
        passThrough: files['pass-through']!,
        dir,
        durationS: config.durationS,
        rounds: config.rounds,
        connections: config.connections,
        pinning,
        log,
      });
      const after = loadavg();
      process.stdout.write(
        `${renderDialectRows(rows)}\n\n${cpus().length} CPUs; load average before ${before.map((l) => l.toFixed(2)).join(', ')}, after ${after.map((l) => l.toFixed(2)).join(', ')}\n`,
      );
    } finally {
      await mock.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(bundleDir, { recursive: true, force: true });
  }
}
