import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { bufferedStdout, LOG_BUFFER_BYTES, LOG_FLUSH_MS } from './buffered-stdout';
import { createLogger } from './logger';

const dirs: string[] = [];
const scratch = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'aisbf-log-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const loggerModule = fileURLToPath(new URL('./logger.ts', import.meta.url));

/** Runs a script that logs `lines` lines through the default destination (stdout to a file), then ends as `how` says. */
async function runChild(how: 'return' | 'exit' | 'sigterm', lines: number): Promise<string> {
  const dir = scratch();
  const script = join(dir, 'child.ts');
  const end = {
    return: `shutdown();`,
    exit: `process.exit(0);`,
    sigterm: [
      `const keep = setInterval(() => undefined, 1000);`,
      `process.once('SIGTERM', () => { clearInterval(keep); shutdown(); });`,
      `process.stderr.write('ready\\n');`,
    ].join('\n'),
  }[how];
  writeFileSync(
    script,
    [
      `import { createLogger } from ${JSON.stringify(loggerModule)};`,
      `const logger = createLogger('info', { format: 'json' });`,
      `const shutdown = () => { logger.info('shutting down'); process.exitCode = 0; };`,
      `for (let i = 0; i < ${lines}; i++) logger.info({ n: i, route: 'mock/w1' }, 'request');`,
      end,
    ].join('\n'),
  );
  const out = join(dir, 'out.log');
  const fd = openSync(out, 'w');
  // stdout goes to a file, as a service manager keeps it.
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  if (how === 'sigterm') child.stderr?.once('data', () => child.kill('SIGTERM'));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(0);
  return readFileSync(out, 'utf8');
}

describe('bufferedStdout', () => {
  it('gathers lines into writes of about LOG_BUFFER_BYTES and writes a lone line within LOG_FLUSH_MS', async () => {
    const file = join(scratch(), 'log');
    const fd = openSync(file, 'w');
    const stream = bufferedStdout(fd);
    const logger = createLogger('info', { format: 'json', destination: stream });
    logger.info({ route: 'mock/w1' }, 'one quiet line');
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Still in memory: a single line is not worth a write of its own.
    expect(readFileSync(file, 'utf8')).toBe('');
    await new Promise((resolve) => setTimeout(resolve, LOG_FLUSH_MS + 300));
    expect(readFileSync(file, 'utf8')).toContain('one quiet line');
    const before = readFileSync(file, 'utf8').length;
    for (let i = 0; i < 400; i++) logger.info({ n: i }, 'busy line');
    await new Promise((resolve) => setTimeout(resolve, 50));
    // A full buffer is written without waiting for the timer.
    expect(readFileSync(file, 'utf8').length - before).toBeGreaterThan(LOG_BUFFER_BYTES);
    stream.flushSync();
    expect(
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.includes('busy line')),
    ).toHaveLength(400);
    // Ending the stream closes the file and stops the flush timer.
    await new Promise((resolve) => {
      (stream as unknown as NodeJS.EventEmitter).once('close', resolve);
      (stream as unknown as { end(): void }).end();
    });
  });

  it.each(['return', 'exit', 'sigterm'] as const)(
    'loses no line when the process ends (%s)',
    async (how) => {
      const text = await runChild(how, 3000);
      const entries = text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { msg: string; n?: number });
      expect(entries.filter((e) => e.msg === 'request').map((e) => e.n)).toEqual(
        Array.from({ length: 3000 }, (_, i) => i),
      );
      if (how !== 'exit') expect(entries.at(-1)?.msg).toBe('shutting down');
    },
    30_000,
  );
});
