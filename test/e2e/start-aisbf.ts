import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface RunningAisbf {
  readonly url: string;
  stderr(): string;
  stdout(): string;
  stop(): Promise<void>;
}

/** A free loopback port (the kernel picks it; the tiny race before aisbf binds is acceptable in tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs the real all-in-one `aisbf start` (packages/cli) as its own process, the way a user does
 * with `pnpm aisbf start`, and waits until it answers /healthz.
 */
export async function startAisbf(options: {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
}): Promise<RunningAisbf> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'packages/cli/src/main.ts', 'start', '--port', String(port)],
    {
      cwd: options.cwd,
      env: { ...options.env, AISBF_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  let stdout = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-20_000)));
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (stdout = (stdout + c).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`aisbf start exited with ${child.exitCode}; stderr:\n${stderr}\nstdout:\n${stdout}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`aisbf start did not answer /healthz on ${url}; stderr:\n${stderr}\nstdout:\n${stdout}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, stderr: () => stderr, stdout: () => stdout, stop };
}
