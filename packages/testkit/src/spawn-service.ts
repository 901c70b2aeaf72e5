import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { inheritedEnv } from './env';

export interface SpawnServiceOptions {
  /** The entry file; it must print its URL as a stdout line. */
  entry: string;
  /**
   * `'tsx'` (default): `entry` is TypeScript, run with `node --import tsx`. `'node'`: `entry` is
   * JavaScript run with plain `node`, e.g. a bundle from scripts/bundle.ts (the benchmark measures
   * those, as production runs `node dist/aisbf.mjs`).
   */
  runtime?: 'tsx' | 'node';
  args?: string[];
  /** Flags for node itself, before the entry (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** Working directory (where `tsx` resolves from); default the current one. */
  cwd?: string;
  /** Lines matching this are taken as the URL. Default: the first line starting with `http`. */
  urlPattern?: RegExp;
  startTimeoutMs?: number;
}

export interface SpawnedService {
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything the process wrote to stderr so far (for failure messages). */
  stderr(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed). */
  stop(graceMs?: number): Promise<number | null>;
}

/** Runs a service entry as its own process (scenario tests, benchmark), and waits for its URL. */
export function spawnService(options: SpawnServiceOptions): Promise<SpawnedService> {
  const loader = (options.runtime ?? 'tsx') === 'tsx' ? ['--import', 'tsx'] : [];
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), ...loader, options.entry, ...(options.args ?? [])],
    {
      cwd: options.cwd,
      env: options.env ?? inheritedEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const pattern = options.urlPattern ?? /^https?:\/\/\S+$/;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const stop = async (graceMs = 3000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };

  return new Promise<SpawnedService>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => {
      void stop(0);
      reject(
        new Error(`${options.entry} printed no URL within ${options.startTimeoutMs ?? 20_000} ms; stderr:\n${stderr}`),
      );
    }, options.startTimeoutMs ?? 20_000);
    lines.on('line', (line) => {
      if (!pattern.test(line.trim())) return;
      clearTimeout(timer);
      lines.removeAllListeners('line');
      // Keep draining stdout so a chatty child never blocks on a full pipe.
      lines.on('line', () => undefined);
      resolve({ url: line.trim(), pid: child.pid ?? -1, child, stderr: () => stderr, stop });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${options.entry} exited with ${code} before printing its URL; stderr:\n${stderr}`));
    });
  });
}
