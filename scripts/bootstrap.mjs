#!/usr/bin/env node
// `npm start` / `npm test` on a fresh machine with only Node and npm: find or fetch pnpm, install
// the workspace when needed, then run the real command. Kept dependency-free on purpose.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [command, ...rest] = process.argv.slice(2);
const PNPM_VERSION = '12';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`aisbf needs Node >= 20.19 (this is ${process.versions.node}).`);
  process.exit(1);
}

function run(cmd, args, extraEnv = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...extraEnv } });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0 && Number(probe.stdout.trim().split('.')[0]) >= 10) return ['pnpm', []];
  return ['npx', ['--yes', `pnpm@${PNPM_VERSION}`]];
}

function needsInstall() {
  const marker = join(root, 'node_modules', '.modules.yaml');
  if (!existsSync(marker)) return true;
  return statSync(join(root, 'pnpm-lock.yaml')).mtimeMs > statSync(marker).mtimeMs;
}

const [pnpm, pnpmArgs] = pnpmCommand();
if (needsInstall()) {
  // better-sqlite3 may compile from source; point node-gyp at the local headers when present.
  const nodedir = existsSync('/usr/include/node/node.h') ? { npm_config_nodedir: '/usr' } : {};
  const status = run(pnpm, [...pnpmArgs, 'install', '--frozen-lockfile'], nodedir);
  if (status !== 0) process.exit(status);
}

const tsx = join(root, 'node_modules', '.bin', 'tsx');
switch (command) {
  case 'start':
    // The dashboard is a static build served by the control plane; build it once on a fresh checkout.
    if (!existsSync(join(root, 'web', 'build', 'index.html'))) {
      const built = run(pnpm, [...pnpmArgs, '--filter', '@aisbf/web', 'run', 'build']);
      if (built !== 0) console.error('dashboard build failed: starting without the dashboard (the API works)');
    }
    process.exit(run(tsx, [join(root, 'packages/cli/src/main.ts'), 'start', ...rest]));
  case 'test': {
    const services = run(process.execPath, [join(root, 'scripts/ensure-services.mjs')]);
    if (services !== 0) process.exit(services);
    // The workspace suite (packages, integration, end-to-end), then the dashboard's component tests
    // (their own Vite config); one closing line counts both.
    const status = run(pnpm, [...pnpmArgs, 'run', 'test:all', ...rest]);
    const web = rest.length === 0 ? run(pnpm, [...pnpmArgs, 'run', 'test:web']) : 0;
    const reports = [
      join(root, 'test-artifacts/vitest.json'),
      ...(rest.length === 0 ? [join(root, 'test-artifacts/vitest-web.json')] : []),
    ];
    const summary = run(process.execPath, [join(root, 'scripts/test-summary.mjs'), ...reports]);
    process.exit(status !== 0 ? status : web !== 0 ? web : summary);
  }
  default:
    console.error('usage: node scripts/bootstrap.mjs start|test');
    process.exit(2);
}
