import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateSecretKey } from '@aisbf/secrets';

/** docs/architecture.md "Processes and ports": all-in-one mode keeps the SQLite file and generated secrets in AISBF_DATA_DIR. */
export function ensureDataDir(dir: string): string {
  const absolute = resolve(dir);
  mkdirSync(absolute, { recursive: true });
  return absolute;
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
