import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, MysqlDialect, SqliteDialect } from 'kysely';
import { createPool } from 'mysql2';
import type { Database, Dialect } from './database';
import type { MysqlPool } from './mysql-usage-prepared';

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: Dialect;
  /** SQLite: the connection under `db`, for the one hand-written hot path (sqlite-usage-writer.ts). */
  sqlite?: SqliteDatabase.Database;
  /**
   * MySQL/MariaDB: the pool under `db`, for the usage batch's prepared statements
   * (mysql-usage-prepared.ts); pass the handle, or `{ db, mysql }`, to `insertUsageEvents`.
   */
  mysql?: MysqlPool;
  close(): Promise<void>;
}

export interface CreateDatabaseOptions {
  /** MySQL pool size (default 10). */
  poolSize?: number;
  /** SQLite: how long a writer waits for a lock held by another process (default 5000 ms). */
  busyTimeoutMs?: number;
}

/** Which backend a URL names; throws a message naming the accepted forms. */
export function parseDatabaseUrl(url: string): { dialect: 'sqlite'; path: string } | { dialect: 'mysql'; url: string } {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '')
      throw new Error(`database URL "${url}" has no path (use sqlite:./data/aisbf.db or sqlite::memory:)`);
    return { dialect: 'sqlite', path };
  }
  if (url.startsWith('mysql://') || url.startsWith('mariadb://'))
    return { dialect: 'mysql', url: url.replace(/^mariadb:/, 'mysql:') };
  throw new Error(
    'database URL must start with sqlite: (e.g. sqlite:./data/aisbf.db) or mysql:// (e.g. mysql://user:pass@host:3306/aisbf)',
  );
}

/** A SQLite database in this process's memory: no other connection (or thread) can open the same one. */
export function isInMemoryDatabase(url: string): boolean {
  const parsed = parseDatabaseUrl(url);
  return parsed.dialect === 'sqlite' && parsed.path === ':memory:';
}

/** Opens SQLite (better-sqlite3, WAL, foreign keys on) or MySQL/MariaDB (mysql2 pool) by URL. */
export function createDatabase(url: string, options: CreateDatabaseOptions = {}): DatabaseHandle {
  const parsed = parseDatabaseUrl(url);
  if (parsed.dialect === 'sqlite') {
    if (parsed.path !== ':memory:') {
      // The file holds sealed provider keys and token hashes: the owner's only (docs/security.md, second
      // review, finding 14). SQLite creates new files 0644 and gives -wal/-shm the database's mode,
      // so the file is created 0600 here first (an existing file keeps its mode).
      mkdirSync(dirname(parsed.path), { recursive: true, mode: 0o700 });
      closeSync(openSync(parsed.path, 'a', 0o600));
    }
    const sqlite = new SqliteDatabase(parsed.path);
    // WAL lets readers (dashboard, snapshot builds) run while usage batches are written.
    if (parsed.path !== ':memory:') sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    sqlite.pragma('synchronous = NORMAL');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    return { db, dialect: 'sqlite', sqlite, close: () => db.destroy() };
  }
  const pool = createPool({
    uri: parsed.url,
    connectionLimit: options.poolSize ?? 10,
    charset: 'utf8mb4',
    // Statements a connection keeps prepared, the least recently used closed past it: the usage
    // batch prepares at most 20 (mysql-usage-prepared.ts), kysely none (it sends text).
    maxPreparedStatements: 64,
  });
  const db = new Kysely<Database>({ dialect: new MysqlDialect({ pool }) });
  // The same pool through mysql2's promise API: closed with `db` (kysely ends the pool).
  return { db, dialect: 'mysql', mysql: pool.promise(), close: () => db.destroy() };
}
