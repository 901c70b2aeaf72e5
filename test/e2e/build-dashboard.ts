import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Sleeps the thread: the build check is synchronous, and only waits for another file's build. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Builds web/ into web/build when the build is missing or older than its sources, so the browser
 * tests never run against a stale dashboard. Returns the build directory. Several browser test
 * files run in parallel: a lock directory (mkdir is atomic) lets one build while the others wait.
 */
export function ensureDashboardBuild(root: string): string {
  const web = join(root, 'web');
  const build = join(web, 'build');
  const index = join(build, 'index.html');
  const lock = join(web, '.build-lock');
  const stale = (): boolean => {
    const sources = Math.max(
      newestMtime(join(web, 'src')),
      // The settings and limits forms bundle core's schemas (docs/dashboard.md).
      newestMtime(join(root, 'packages', 'core', 'src')),
      statSync(join(root, 'packages', 'core', 'package.json')).mtimeMs,
      statSync(join(web, 'svelte.config.js')).mtimeMs,
      statSync(join(web, 'vite.config.ts')).mtimeMs,
    );
    return !existsSync(index) || statSync(index).mtimeMs < sources;
  };
  const deadline = Date.now() + 240_000;
  while (stale()) {
    try {
      mkdirSync(lock);
    } catch {
      // Another test file is building; a lock older than any build is left over from a killed run.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 200_000)
        rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another dashboard build');
      sleepSync(250);
      continue;
    }
    try {
      if (stale())
        execFileSync(process.execPath, [join(web, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
          cwd: web,
          stdio: 'pipe',
          timeout: 180_000,
        });
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  return build;
}
