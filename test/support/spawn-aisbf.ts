import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = join(import.meta.dirname, '..', '..');
const MAIN = join(root, 'packages/cli/src/main.ts');

export interface AisbfProcess {
  url: string;
  child: ChildProcess;
  /** stdout + stderr so far (failure messages, secret scans). */
  output(): string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface SpawnAisbfOptions {
  timeoutMs?: number;
  args?: string[];
  /** A bundled CLI (scripts/bundle.ts) to run with plain node, as production does; default the sources through tsx. */
  bundle?: string;
}

/**
 * Runs `aisbf <command>` as its own process with the given environment, and resolves once it
 * prints the URL it listens on (the same line a user sees).
 */
export function spawnAisbf(
  command: string,
  env: Record<string, string>,
  options: SpawnAisbfOptions = {},
): Promise<AisbfProcess> {
  const entry = options.bundle === undefined ? ['--import', 'tsx', MAIN] : [options.bundle];
  const child = spawn(process.execPath, [...entry, command, ...(options.args ?? [])], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', AISBF_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (graceMs = 5000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return new Promise((resolve, reject) => {
    const timeoutMs = options.timeoutMs ?? 90_000;
    const timer = setTimeout(() => {
      void stop(0);
      reject(new Error(`aisbf ${command} printed no URL within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    let found = false;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output += `${line}\n`;
      const match = /(?:listening on|running on) (http:\/\/\S+)/.exec(line);
      if (found || match === null) return;
      found = true;
      clearTimeout(timer);
      resolve({
        url: match[1]!.replace('0.0.0.0', '127.0.0.1').replace('localhost', '127.0.0.1'),
        child,
        output: () => output,
        stop,
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      if (!found) reject(new Error(`aisbf ${command} exited with ${code} before listening:\n${output}`));
    });
  });
}

/** POSTs a GraphQL operation and returns `data`, failing with the errors when there are any. */
export async function graphql<T = Record<string, unknown>>(
  url: string,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ data: T | null; errors?: Array<{ message: string; extensions?: { code?: string; path?: string } }> }> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as {
    data: T | null;
    errors?: Array<{ message: string; extensions?: { code?: string; path?: string } }>;
  };
}
