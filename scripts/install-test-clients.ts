// Installs the real coding-agent CLIs the end-to-end tests drive (Codex, Claude Code) into the
// checkout's gitignored `.cache/clients/<name>/`, once: each pulls a native binary of ~250-320 MB,
// so tests never install them. Usage: `pnpm exec tsx scripts/install-test-clients.ts [name…]` (all by
// default); prints the path of each binary. `.ci/run` and the e2e tests' setup call it when a
// binary is missing; a present one is left alone (delete its folder to upgrade).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** name → npm package, pinned version, binary inside the install. */
export const TEST_CLIENTS: Record<string, { pkg: string; version: string; bin: string }> = {
  codex: { pkg: '@openai/codex', version: '0.171.0', bin: 'node_modules/.bin/codex' },
  'claude-code': { pkg: '@anthropic-ai/claude-code', version: '2.1.332', bin: 'node_modules/.bin/claude' },
};

/** Absolute path of the client's binary (installed or not). */
export function testClientBin(name: string): string {
  const client = TEST_CLIENTS[name];
  if (client === undefined) throw new Error(`unknown test client "${name}"`);
  return join(root, '.cache', 'clients', name, client.bin);
}

/** Installs the client when its binary is missing; returns the binary's path. */
export function ensureTestClient(name: string): string {
  const bin = testClientBin(name);
  if (existsSync(bin)) return bin;
  const { pkg, version } = TEST_CLIENTS[name]!;
  const prefix = join(root, '.cache', 'clients', name);
  mkdirSync(prefix, { recursive: true });
  execFileSync(
    'npm',
    ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `${pkg}@${version}`],
    { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, npm_config_engine_strict: 'false' } },
  );
  if (!existsSync(bin)) throw new Error(`${pkg}@${version} installed, but ${bin} is missing`);
  return bin;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const names = process.argv.slice(2);
  for (const name of names.length > 0 ? names : Object.keys(TEST_CLIENTS)) console.log(ensureTestClient(name));
}
