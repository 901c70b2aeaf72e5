import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateSecretKey } from '@aisbf/secrets';

/**
 * docs/architecture.md "Processes and ports": all-in-one mode keeps the SQLite file and generated
 * secrets in AISBF_DATA_DIR. Both are secrets (the database holds sealed provider keys and token
 * hashes, `secret.key` unseals them), so the directory is the owner's alone (docs/security.md,
 * second review, finding 14): created 0700.
 */
export function ensureDataDir(dir: string): string {
  const absolute = resolve(dir);
  mkdirSync(absolute, { recursive: true, mode: 0o700 });
  return absolute;
}

/**
 * Tightens a data dir made by an older version or by hand: the directory to 0700 and every file
 * directly in it (the SQLite database and its -wal/-shm/-journal files, `secret.key`, anything
 * else kept there) to 0600. Returns what it changed, so the caller logs it once; a file it may not
 * change is reported rather than thrown.
 */
export function tightenDataDir(dir: string): { changed: string[]; failed: string[] } {
  const changed: string[] = [];
  const failed: string[] = [];
  const tighten = (path: string, mode: number): void => {
    try {
      const current = statSync(path).mode & 0o777;
      if ((current & ~mode) === 0) return;
      chmodSync(path, current & mode);
      changed.push(`${path} (${current.toString(8)} -> ${(current & mode).toString(8)})`);
    } catch {
      failed.push(path);
    }
  };
  tighten(dir, 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true }))
    if (entry.isFile()) tighten(join(dir, entry.name), 0o600);
  return { changed, failed };
}

/** AISBF_SECRET_KEY if set; else the key in `<dataDir>/secret.key`, generated (mode 0600) on first start. */
export function loadSecretKey(options: { fromEnv: string | undefined; dataDir: string }): {
  key: string;
  generated: boolean;
} {
  if (options.fromEnv !== undefined) return { key: options.fromEnv, generated: false };
  const file = join(ensureDataDir(options.dataDir), 'secret.key');
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), generated: false };
  const key = generateSecretKey();
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { key, generated: true };
}

export function defaultDatabaseUrl(dataDir: string): string {
  return `sqlite:${join(resolve(dataDir), 'aisbf.db')}`;
}
