import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnAisbf } from '../support/spawn-aisbf';

// A newcomer's first start: the admin password is printed once, so a start that fails must not
// have consumed it, and a later AISBF_ADMIN_PASSWORD or a lost password each have a clear answer.
const root = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);
let dataDir: string;
const env = (): Record<string, string> => ({ AISBF_DATA_DIR: dataDir, AISBF_HOST: '127.0.0.1' });

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'aisbf-first-start-'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function login(url: string, username: string, password: string): Promise<number> {
  const response = await fetch(`${url}/trpc/auth.login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ username, password }),
  });
  return response.status;
}

async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

// Each test starts aisbf once or twice (a few seconds each, more on a busy machine).
describe('first start is all-or-nothing', { timeout: 120_000 }, () => {
  let password = '';

  it('a start that fails on a taken port creates no admin; the next start creates one and prints its password', async () => {
    const taken = await occupiedPort();
    await expect(spawnAisbf('start', env(), { args: ['--port', String(taken.port)] })).rejects.toThrow(
      /EADDRINUSE|address already in use/,
    );
    await new Promise<void>((resolve) => taken.server.close(() => resolve()));

    const aisbf = await spawnAisbf('start', env(), { args: ['--port', '0'] });
    try {
      await expect.poll(() => aisbf.output(), { timeout: 5000 }).toMatch(/created with password: (\S+)/);
      password = /created with password: (\S+)/.exec(aisbf.output())![1]!;
      expect(await login(aisbf.url, 'admin', password)).toBe(200);
    } finally {
      await aisbf.stop();
    }
  });

  it('says so when AISBF_ADMIN_PASSWORD is set but the admin exists, and changes nothing', async () => {
    const aisbf = await spawnAisbf(
      'start',
      { ...env(), AISBF_ADMIN_PASSWORD: 'another-password-9' },
      { args: ['--port', '0'] },
    );
    try {
      await expect
        .poll(() => aisbf.output(), { timeout: 5000 })
        .toMatch(/AISBF_ADMIN_PASSWORD is set but an admin already exists: no password was changed/);
      expect(await login(aisbf.url, 'admin', 'another-password-9')).toBe(401);
      expect(await login(aisbf.url, 'admin', password)).toBe(200);
    } finally {
      await aisbf.stop();
    }
  });

  it('`aisbf admin reset-password` recovers a lost password', async () => {
    const reset = await run(
      process.execPath,
      ['--import', 'tsx', 'packages/cli/src/main.ts', 'admin', 'reset-password', ' Admin'],
      {
        cwd: root,
        env: { PATH: process.env['PATH'] ?? '', ...env() },
      },
    );
    const fresh = /reset to: (\S+)/.exec(reset.stdout)?.[1];
    expect(fresh, reset.stdout).toBeDefined();
    expect(fresh).not.toBe(password);
    const aisbf = await spawnAisbf('start', env(), { args: ['--port', '0'] });
    try {
      expect(await login(aisbf.url, 'admin', fresh!)).toBe(200);
      expect(await login(aisbf.url, 'admin', password)).toBe(401);
    } finally {
      await aisbf.stop();
    }
    await expect(
      run(process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', 'admin', 'reset-password', 'Nobody'], {
        cwd: root,
        env: { PATH: process.env['PATH'] ?? '', ...env() },
      }),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('no user "nobody"') });
  });
});
