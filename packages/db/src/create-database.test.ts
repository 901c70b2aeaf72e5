import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createDatabase, migrateToLatest, parseDatabaseUrl } from './index';

describe('createDatabase', () => {
  it('parses the accepted URL forms and names them when rejecting one', () => {
    expect(parseDatabaseUrl('sqlite:./data/aisbf.db')).toEqual({ dialect: 'sqlite', path: './data/aisbf.db' });
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' });
    expect(parseDatabaseUrl('sqlite:///var/lib/aisbf.db')).toEqual({ dialect: 'sqlite', path: '/var/lib/aisbf.db' });
    expect(parseDatabaseUrl('mysql://u:p@h:3306/db')).toEqual({ dialect: 'mysql', url: 'mysql://u:p@h:3306/db' });
    expect(() => parseDatabaseUrl('postgres://x')).toThrow(/sqlite:.*mysql:\/\//);
    expect(() => parseDatabaseUrl('sqlite:')).toThrow(/no path/);
  });

  it('creates the data directory, uses WAL and enforces foreign keys on a SQLite file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aisbf-db-'));
    const handle = createDatabase(`sqlite:${join(dir, 'nested', 'aisbf.db')}`);
    try {
      await migrateToLatest(handle.db);
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(handle.db);
      expect(mode.rows[0]?.journal_mode).toBe('wal');
      await expect(
        handle.db
          .insertInto('api_tokens')
          .values({
            id: 't',
            user_id: 'nobody',
            name: 'n',
            hash: 'a'.repeat(64),
            hint: 'h',
            created_at: 0,
            expires_at: null,
            revoked_at: null,
            last_used_at: null,
            limits: null,
          })
          .execute(),
      ).rejects.toThrow(/FOREIGN KEY/);
    } finally {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
