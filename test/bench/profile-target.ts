import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSecretKey } from '../../packages/secrets/src/index';
import { spawnService } from '../../packages/testkit/src/index';
import { bundle, bundleCli, bundleTempDir } from '../../scripts/bundle';
import { startAllInOne, startCluster, startDiagnostic, type Started } from './aisbf-targets';
import { MOCK_MODELS, SHAPES, type LoadTarget } from './shapes';
import { runWrk } from './wrk';
import { printProfile } from './cpu-profile-summary';
import { cpuPerRequest, cpuSnapshot, sharedServices } from './cpu-snapshot';

/**
 * `pnpm exec tsx test/bench/profile-target.ts <start|data-plane|diagnostic> [seconds] [--no-prof] [--pass]
 * [--shape=<name prefix>] [--strace] [--prof-worker] [--keep] [--hold] [--node-arg=<flag>]…`:
 * one production target (and optionally the pass-through beside it) under wrk load in the four
 * shapes, the aisbf process run with `node --cpu-prof`; prints req/s per shape and, from the
 * profile, the functions with the most self time (mapped to the TypeScript sources). For the
 * cluster row it also prints what the worker, the control plane, Redis and MariaDB spent per
 * request meanwhile; `--prof-worker` profiles the worker as well. `--hold` starts the targets, prints
 * their URLs, token header and pids as one JSON line and keeps them up until Ctrl-C (then prints the
 * profile) instead of measuring: for experiments by hand. `--node-arg=--trace-gc` (any node flag, repeatable)
 * is passed to the aisbf process; with `--keep` its log stays in the printed directory. A tool for finding what to make cheaper; the
 * figures that count are `pnpm bench`'s.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
/** `--hold` ended by Ctrl-C: not an error, the rest of the run is skipped. */
class Held extends Error {}
const [kind = 'start', secondsArg = '4', ...flags] = process.argv.slice(2);
const seconds = Number(secondsArg);
const profile = !flags.includes('--no-prof');
const withPass = flags.includes('--pass');
const only = flags.find((f) => f.startsWith('--shape='))?.slice('--shape='.length);

const tmp = await mkdtemp(join(tmpdir(), 'aisbf-prof-'));
const bundleDir = await bundleTempDir('aisbf-prof');
const stops: Array<() => Promise<unknown>> = [];
try {
  const built = await bundle({
    entryPoints: {
      'mock-upstream': join(root, 'packages/testkit/src/mock-upstream-main.ts'),
      'pass-through': join(root, 'test/bench/pass-through.ts'),
      'data-plane': join(root, 'test/scenarios/data-plane-main.ts'),
    },
    outdir: bundleDir,
  });
  const cli = (await bundleCli(join(bundleDir, 'cli'))).files['aisbf']!;
  const mock = await spawnService({
    entry: built.files['mock-upstream']!,
    runtime: 'node',
    cwd: root,
    args: ['--models', MOCK_MODELS.join(','), '--words', '60'],
  });
  stops.push(() => mock.stop());
  await fetch(`${mock.url.replace(/\/v1$/, '')}/__mock/default`, {
    method: 'POST',
    body: JSON.stringify([{ kind: 'ok' }, { kind: 'ok', model: 'w1', words: 1 }]),
  });
  const profDir = join(tmp, 'prof');
  const nodeArgs = [
    ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
    ...flags.filter((f) => f.startsWith('--node-arg=')).map((f) => f.slice('--node-arg='.length)),
  ];
  const started: Started =
    kind === 'diagnostic'
      ? await startDiagnostic({ entry: built.files['data-plane']!, cwd: root, mockUrl: mock.url, dir: tmp, nodeArgs })
      : kind === 'start'
        ? await startAllInOne({ bundle: cli, cwd: root, dataDir: join(tmp, 'start'), mockUrl: mock.url, nodeArgs })
        : await startCluster({
            bundle: cli,
            cwd: root,
            logDir: tmp,
            mysqlUrl: 'mysql://root@127.0.0.1:3306',
            redisUrl: 'redis://127.0.0.1:6379',
            mockUrl: mock.url,
            secretKey: generateSecretKey(),
            nodeArgs,
            workerNodeArgs: flags.includes('--prof-worker') ? nodeArgs : [],
          });
  const targets: Array<LoadTarget & { pid: number }> = [...started.targets];
  if (withPass) {
    const pass = await spawnService({
      entry: built.files['pass-through']!,
      runtime: 'node',
      cwd: root,
      args: ['--upstream', mock.url],
    });
    stops.push(() => pass.stop());
    targets.unshift({ name: 'pass-through', url: pass.url, headers: {}, modelPrefix: '', pid: pass.pid });
  }
  if (flags.includes('--hold')) {
    // For experiments by hand (curl, wrk, strace): everything stays up until Ctrl-C.
    const [target] = started.targets;
    process.stdout.write(
      `${JSON.stringify({ mock: mock.url, url: target!.url, headers: target!.headers, pid: target!.pid, helpers: started.helpers, pass: targets[0]?.name === 'pass-through' ? targets[0] : null })}\n`,
    );
    await new Promise((resolve) => process.once('SIGINT', resolve));
    await started.stop();
    if (profile) printProfile(profDir);
    throw new Held();
  }
  process.stderr.write(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}\n`,
  );
  const windows: Array<[number, number]> = [];
  for (const shape of SHAPES) {
    if (only !== undefined && !shape.name.startsWith(only)) continue;
    for (const target of targets) await runWrk(target, shape, { durationS: 1, connections: 64, scriptDir: tmp });
    const line: string[] = [];
    for (const target of targets) {
      const strace = flags.includes('--strace')
        ? spawn('strace', ['-c', '-f', '-p', String(target.pid)], { stdio: ['ignore', 'ignore', 'pipe'] })
        : null;
      const straceOut: Buffer[] = [];
      strace?.stderr.on('data', (b: Buffer) => straceOut.push(b));
      const others = target.name === 'pass-through' ? [] : [...started.helpers, ...sharedServices()];
      const pids = [target.pid, ...others.map((o) => o.pid)];
      const before = cpuSnapshot(pids);
      const from = Number(process.hrtime.bigint() / 1000n);
      const r = await runWrk(target, shape, { durationS: seconds, connections: 64, scriptDir: tmp });
      if (strace !== null) {
        strace.kill('SIGINT');
        await new Promise((resolve) => strace.once('exit', resolve));
        const lines = Buffer.concat(straceOut)
          .toString()
          .split('\n')
          .filter((l) => !l.includes('Process'))
          .slice(0, 16);
        process.stderr.write(
          `strace ${target.name} (${(r.rps * seconds).toFixed(0)} requests):\n${lines.join('\n')}\n`,
        );
      }
      if (target.name !== 'pass-through') windows.push([from, Number(process.hrtime.bigint() / 1000n)]);
      const [perRequestUs = NaN, ...othersUs] = cpuPerRequest(before, cpuSnapshot(pids), r.requests).processUs;
      const besides = others.map((o, i) => `${o.name} ${othersUs[i]!.toFixed(0)}`).join(', ');
      line.push(
        `${target.name} ${r.rps.toFixed(0)} req/s ${perRequestUs.toFixed(0)} µs CPU/req${besides === '' ? '' : ` (besides, µs/req: ${besides})`}`,
      );
    }
    process.stderr.write(`${shape.name}: ${line.join(', ')}\n`);
  }
  await started.stop();
  if (profile) printProfile(profDir, windows);
} catch (error) {
  if (!(error instanceof Held)) throw error;
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  await rm(bundleDir, { recursive: true, force: true });
  if (!flags.includes('--keep')) await rm(tmp, { recursive: true, force: true });
  else process.stderr.write(`kept ${tmp}\n`);
}
