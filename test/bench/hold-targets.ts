import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSecretKey } from '../../packages/secrets/src/index';
import { spawnService } from '../../packages/testkit/src/index';
import { bundle, bundleCli, bundleTempDir } from '../../scripts/bundle';
import { startAllInOne, startCluster } from './aisbf-targets';
import { MOCK_MODELS } from './shapes';

/**
 * `pnpm exec tsx test/bench/hold-targets.ts [start|data-plane] [--prof=<dir>]`: the mock upstream, the
 * pass-through and one production target (as `pnpm bench` starts them), kept running until Ctrl-C,
 * for experiments by hand (curl, wrk, strace, perf). Prints one JSON line: the URLs, the target's
 * token header and the pids. `--prof`: the target runs under `node --cpu-prof`, its profile written
 * to `<dir>` when Ctrl-C stops it (`cpu-profile-summary.ts <dir>` reads it).
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const tmp = await mkdtemp(join(tmpdir(), 'aisbf-hold-'));
const bundleDir = await bundleTempDir('aisbf-hold');
const built = await bundle({
  entryPoints: {
    'mock-upstream': join(root, 'packages/testkit/src/mock-upstream-main.ts'),
    'pass-through': join(root, 'test/bench/pass-through.ts'),
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
await fetch(`${mock.url.replace(/\/v1$/, '')}/__mock/default`, {
  method: 'POST',
  body: JSON.stringify([{ kind: 'ok' }, { kind: 'ok', model: 'w1', words: 1 }]),
});
const pass = await spawnService({
  entry: built.files['pass-through']!,
  runtime: 'node',
  cwd: root,
  args: ['--upstream', mock.url],
});
const kind = process.argv[2] ?? 'start';
const profDir = process.argv.find((a) => a.startsWith('--prof='))?.slice('--prof='.length);
const nodeArgs = profDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`];
const started =
  kind === 'start'
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
      });
const t = started.targets[0]!;
console.log(
  JSON.stringify({
    mock: mock.url,
    pass: pass.url,
    url: t.url,
    headers: t.headers,
    pid: t.pid,
    passPid: pass.pid,
    helpers: started.helperPids,
    tmp,
  }),
);
process.on('SIGINT', async () => {
  await started.stop();
  await pass.stop();
  await mock.stop();
  process.exit(0);
});
setInterval(() => {}, 1 << 30);
