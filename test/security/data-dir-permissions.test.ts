import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnAisbf } from '../support/spawn-aisbf';

// docs/security.md, second review, finding 14: `aisbf start` created its data dir 0755 and aisbf.db
// (sealed provider keys, token hashes) 0644, so any local account could copy the database. The dir
// is the owner's now (0700), every file in it 0600, also when an older start left looser modes.
let parent: string;
const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);
const ADMIN_TOKEN = 'aisbf_dataDirPermissionsAdminToken0123456789abcdefghij';

beforeAll(() => {
  parent = mkdtempSync(join(tmpdir(), 'aisbf-data-dir-modes-'));
  // Looser than the default umask too: what is created must not depend on the caller's umask.
  chmodSync(parent, 0o755);
});
afterAll(() => rmSync(parent, { recursive: true, force: true }));

/** Starts aisbf on `dataDir`, makes one write so the WAL is in use, stops it; returns its output so far. */
async function startOnce(dataDir: string): Promise<() => string> {
  const aisbf = await spawnAisbf(
    'start',
    {
      AISBF_DATA_DIR: dataDir,
      AISBF_HOST: '127.0.0.1',
      AISBF_ADMIN_TOKEN: ADMIN_TOKEN,
      AISBF_ADMIN_PASSWORD: 'data-dir-modes-password-1',
    },
    { args: ['--port', '0'] },
  );
  try {
    const reply = await fetch(`${aisbf.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ query: 'mutation { createApiToken(name: "t") { id } }' }),
    });
    expect(reply.status).toBe(200);
    // While running, the WAL and shared-memory files exist: check them before SQLite folds them away.
    const files = readdirSync(dataDir).sort();
    expect(files).toEqual(expect.arrayContaining(['aisbf.db', 'aisbf.db-shm', 'aisbf.db-wal', 'secret.key']));
    for (const file of files) expect({ file, mode: mode(join(dataDir, file)) }).toEqual({ file, mode: '600' });
    expect(mode(dataDir)).toBe('700');
  } finally {
    await aisbf.stop();
  }
  // Log lines leave in buffered batches (flushed on exit) and may arrive after the exit event.
  return () => aisbf.output();
}

describe('the data dir and its files are the owner’s only', { timeout: 240_000 }, () => {
  it('a fresh start creates the dir 0700 and the database, its WAL/SHM and secret.key 0600', async () => {
    const dataDir = join(parent, 'fresh', 'data');
    const output = await startOnce(dataDir);
    // Buffered log lines may arrive just after the exit: give them a moment before asserting absence.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(output()).not.toMatch(/tightened/);
    for (const file of readdirSync(dataDir)) expect(mode(join(dataDir, file))).toBe('600');
  });

  it('an existing dir with world-readable files is tightened, and says so once', async () => {
    const dataDir = join(parent, 'old');
    await startOnce(dataDir);
    chmodSync(dataDir, 0o755);
    for (const file of readdirSync(dataDir)) chmodSync(join(dataDir, file), 0o644);
    writeFileSync(join(dataDir, 'backup.sql'), 'planted', { mode: 0o644 });
    chmodSync(join(dataDir, 'backup.sql'), 0o644);
    const output = await startOnce(dataDir);
    await expect.poll(output).toMatch(/tightened to 0700\/0600/);
    expect(output().match(/tightened to 0700\/0600/g)).toHaveLength(1);
    expect(output()).toContain('aisbf.db (644 -> 600)');
    expect(mode(join(dataDir, 'backup.sql'))).toBe('600');
  });
});
