import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { dashboardDir } from './commands/start';
import { installRoot } from './install-root';

// The bundle (dist/aisbf.mjs) sits two levels below the checkout, the sources five: the dashboard
// used to be found with a fixed `../../../../../web/build`, which points outside the checkout from dist/.
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function checkout(): string {
  const root = mkdtempSync(join(tmpdir(), 'aisbf-root-'));
  dirs.push(root);
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'aisbf', private: true }));
  mkdirSync(join(root, 'packages/cli/src/commands'), { recursive: true });
  writeFileSync(join(root, 'packages/cli/package.json'), JSON.stringify({ name: '@aisbf/cli' }));
  mkdirSync(join(root, 'dist'));
  mkdirSync(join(root, 'node_modules/.cache/aisbf-bundle-x'), { recursive: true });
  return root;
}
const url = (path: string): string => pathToFileURL(path).href;

it('finds the checkout from the sources, from dist/ and from a test bundle under node_modules/.cache', () => {
  const root = checkout();
  expect(installRoot(url(join(root, 'packages/cli/src/commands/start.ts')))).toBe(root);
  expect(installRoot(url(join(root, 'dist/aisbf.mjs')))).toBe(root);
  expect(installRoot(url(join(root, 'node_modules/.cache/aisbf-bundle-x/aisbf.mjs')))).toBe(root);
});

it('skips package.json files that are not the root one, and gives up at the filesystem root', () => {
  const root = checkout();
  writeFileSync(join(root, 'dist/package.json'), '{ not json');
  expect(installRoot(url(join(root, 'dist/aisbf.mjs')))).toBe(root);
  const elsewhere = mkdtempSync(join(tmpdir(), 'aisbf-none-'));
  dirs.push(elsewhere);
  expect(installRoot(url(join(elsewhere, 'aisbf.mjs')))).toBeUndefined();
});

it('serves web/build from the bundle once it is built; AISBF_DASHBOARD_DIR wins', () => {
  const root = checkout();
  const bundle = url(join(root, 'dist/aisbf.mjs'));
  expect(dashboardDir(undefined, bundle)).toBeUndefined();
  mkdirSync(join(root, 'web/build'), { recursive: true });
  writeFileSync(join(root, 'web/build/index.html'), '<!doctype html>');
  expect(dashboardDir(undefined, bundle)).toBe(join(root, 'web/build'));
  expect(dashboardDir(undefined, url(join(root, 'packages/cli/src/commands/start.ts')))).toBe(join(root, 'web/build'));
  const custom = join(root, 'custom');
  expect(dashboardDir(custom, bundle)).toBeUndefined();
  mkdirSync(custom);
  writeFileSync(join(custom, 'index.html'), '<!doctype html>');
  expect(dashboardDir(custom, bundle)).toBe(custom);
});
