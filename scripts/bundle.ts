import { existsSync, realpathSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { basename, dirname, isAbsolute, join, parse, relative } from 'node:path';
import { build, type Plugin } from 'esbuild';

/**
 * The one esbuild setup (docs/decisions.md §2): production runs `node dist/aisbf.mjs`, and the
 * benchmark bundles its processes with the same options so every figure is measured the same way.
 * Workspace packages (`@aisbf/*`, whose exports point at TypeScript sources) and relative imports
 * are bundled; every third-party package stays external and is resolved by Node from node_modules
 * at run time: bullmq reads its Lua scripts from disk, better-sqlite3 is native, pino may start
 * worker threads, and a bundled copy would drift from the version the tests ran against.
 */
export const ROOT = dirname(import.meta.dirname);
export const CLI_ENTRY = join(ROOT, 'packages/cli/src/main.ts');
/** `aisbf start`'s usage writer thread, a module of its own beside `aisbf.mjs` (packages/jobs/src/thread-usage-sink.ts). */
export const USAGE_WRITER_ENTRY = join(ROOT, 'packages/jobs/src/usage-writer-entry.ts');
export const DIST = join(ROOT, 'dist');

export interface BundleOptions {
  /**
   * Output name (without extension) → TypeScript entry; each becomes `<outdir>/<name>.mjs`, with
   * the code they load lazily or share in `<outdir>/chunks/`.
   */
  entryPoints: Readonly<Record<string, string>>;
  /**
   * Where the `.mjs` files and their source maps go. It must sit under the checkout (or the image's
   * /app): the external packages are resolved from the node_modules above it; `bundleTempDir()`
   * gives a fresh one.
   */
  outdir: string;
}

export interface BundleResult {
  /** The written bundles, by output name. */
  files: Record<string, string>;
  /** Third-party packages the bundles import at run time, sorted. */
  externals: string[];
}

const WORKSPACE_SCOPE = '@aisbf/';
const CHUNKS = 'chunks';

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** The real directory Node's lookup finds for `name` from `fromDir` (ancestors' node_modules), if any. */
export function resolvePackageDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    if (basename(dir) !== 'node_modules') {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    }
    if (dir === parse(dir).root) return undefined;
  }
}

/** Keeps every bare import that is neither a builtin nor `@aisbf/*` external; records who imports it. */
function externalPackages(importers: Map<string, Set<string>>): Plugin {
  return {
    name: 'aisbf-external-packages',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith(WORKSPACE_SCOPE)) return undefined;
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        const name = packageName(args.path);
        const dirs = importers.get(name) ?? new Set<string>();
        dirs.add(args.resolveDir);
        importers.set(name, dirs);
        return { path: args.path, external: true };
      });
    },
  };
}

/**
 * An external import works at run time only if Node, looking from the bundle, finds the very
 * package directory (same version, same install) the importing source resolves to under tsx and
 * vitest. pnpm links a package only into the node_modules of the workspace packages that declare
 * it, so the root package.json must declare every external as well; this names what is missing.
 */
function checkResolvable(importers: Map<string, Set<string>>, outdir: string): void {
  const problems: string[] = [];
  for (const [name, dirs] of importers) {
    const atRuntime = resolvePackageDir(name, outdir);
    const fromSources = new Set([...dirs].map((dir) => resolvePackageDir(name, dir)));
    const users = [...new Set([...dirs].map((dir) => relative(ROOT, dir).split('/src')[0]))].join(', ');
    if (atRuntime === undefined)
      problems.push(
        `${name} (used by ${users}) is not found from ${outdir}: add it to the root package.json "dependencies" with the same range`,
      );
    else if (fromSources.size !== 1 || !fromSources.has(atRuntime))
      problems.push(
        `${name}: the bundle would load ${relative(ROOT, atRuntime)}, ${users} use(s) ${[...fromSources].map((d) => (d === undefined ? 'nothing' : relative(ROOT, d))).join(' and ')}: align the version ranges`,
      );
  }
  if (problems.length > 0)
    throw new Error(
      `bundle: external packages would not resolve as they do for the sources:\n  ${problems.join('\n  ')}`,
    );
}

export async function bundle(options: BundleOptions): Promise<BundleResult> {
  const inside = relative(ROOT, options.outdir);
  if (inside.startsWith('..') || isAbsolute(inside))
    throw new Error(
      `bundle: outdir ${options.outdir} is outside ${ROOT}, where Node would not find the external packages (use bundleTempDir())`,
    );
  // Chunk names carry content hashes: drop the previous build's, or they pile up.
  await rm(join(options.outdir, CHUNKS), { recursive: true, force: true });
  await mkdir(options.outdir, { recursive: true });
  const importers = new Map<string, Set<string>>();
  await build({
    entryPoints: { ...options.entryPoints },
    absWorkingDir: ROOT,
    outdir: options.outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    // The CLI imports each role lazily: with splitting, a role's modules and their external
    // packages load only when that role runs (a data-plane node never loads the GraphQL stack).
    splitting: true,
    chunkNames: `${CHUNKS}/[name]-[hash]`,
    logLevel: 'warning',
    plugins: [externalPackages(importers)],
  });
  checkResolvable(importers, options.outdir);
  const files = Object.fromEntries(
    Object.keys(options.entryPoints).map((name) => [name, join(options.outdir, `${name}.mjs`)]),
  );
  return { files, externals: [...importers.keys()].sort() };
}

/**
 * A fresh output directory for a throwaway bundle (tests, benchmark). It lives in
 * `node_modules/.cache` of the checkout, not in the OS temp dir, so Node finds the external
 * packages from it the same way it does from `dist/`.
 */
export async function bundleTempDir(prefix: string): Promise<string> {
  const parent = join(ROOT, 'node_modules', '.cache');
  await mkdir(parent, { recursive: true });
  return mkdtemp(join(parent, `${prefix}-`));
}

/**
 * `aisbf` itself: `<outdir>/aisbf.mjs` (production: `dist/aisbf.mjs`, the root package's `bin`),
 * and beside it `usage-writer.mjs`, the module `aisbf start` runs its usage writer thread from.
 * Its externals must be root `dependencies`, not devDependencies: the image prunes those.
 */
export async function bundleCli(outdir: string = DIST): Promise<BundleResult> {
  const result = await bundle({ entryPoints: { aisbf: CLI_ENTRY, 'usage-writer': USAGE_WRITER_ENTRY }, outdir });
  const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const undeclared = result.externals.filter((name) => manifest.dependencies?.[name] === undefined);
  if (undeclared.length > 0)
    throw new Error(
      `bundle: the CLI imports ${undeclared.join(', ')}, missing from the root package.json "dependencies"`,
    );
  await chmod(result.files['aisbf']!, 0o755);
  return result;
}
