import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds web/ into web/build when the build is missing or older than its sources, so the browser
 * tests never run against a stale dashboard. Returns the build directory.
 */
export function ensureDashboardBuild(root: string): string {
  const web = join(root, 'web');
  const build = join(web, 'build');
  const index = join(build, 'index.html');
  const sources = Math.max(
    newestMtime(join(web, 'src')),
    statSync(join(web, 'svelte.config.js')).mtimeMs,
    statSync(join(web, 'vite.config.ts')).mtimeMs,
  );
  if (!existsSync(index) || statSync(index).mtimeMs < sources) {
    execFileSync(process.execPath, [join(web, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
      cwd: web,
      stdio: 'pipe',
      timeout: 180_000,
    });
  }
  return build;
}
