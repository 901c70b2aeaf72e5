import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT_PACKAGE = 'aisbf';

function isRootManifest(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === ROOT_PACKAGE;
  } catch {
    return false;
  }
}

/**
 * The checkout (or the image's /app) the running code belongs to: the nearest ancestor of
 * `moduleUrl` whose package.json is the root `aisbf` one. The CLI runs from its sources
 * (packages/cli/src/commands/*.ts, through tsx) or from the bundle (dist/aisbf.mjs, or a test's
 * bundle under node_modules/.cache): a fixed number of `..` would fit only one of them.
 */
export function installRoot(moduleUrl: string): string | undefined {
  for (let dir = dirname(fileURLToPath(moduleUrl)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && isRootManifest(manifest)) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}
