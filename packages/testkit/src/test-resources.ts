import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { testEnv } from './env';

/**
 * Real MariaDB and Redis for integration tests (docs/conventions.md "Tests"): each call gets its
 * own database / key prefix under the run id set by test/global-setup.ts, dropped at teardown.
 */
const runId = (): string => testEnv().runId;

export const testMysqlBaseUrl = (): string => testEnv().mysqlUrl;
export const testRedisUrl = (): string => testEnv().redisUrl;

/** Creates a fresh, empty MariaDB database and returns its `mysql://` URL. */
export async function createTestMysqlDatabase(label = 'db'): Promise<string> {
  const name = `aisbf_t_${runId()}_${label.replace(/[^a-z0-9_]/gi, '_').slice(0, 20)}_${randomBytes(3).toString('hex')}`;
  const base = new URL(testMysqlBaseUrl());
  const connection = await createConnection({
    host: base.hostname,
    port: Number(base.port || 3306),
    user: decodeURIComponent(base.username || 'root'),
    password: decodeURIComponent(base.password),
  });
  try {
    await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await connection.end();
  }
  base.pathname = `/${name}`;
  return base.toString();
}

/** A Redis key prefix no other test or run shares. */
export function testRedisPrefix(label = 'r'): string {
  return `aisbf_t_${runId()}:${label}:${randomBytes(3).toString('hex')}:`;
}

export async function dropRunDatabases(mysqlUrl: string, id: string): Promise<void> {
  const base = new URL(mysqlUrl);
  let connection;
  try {
    connection = await createConnection({
      host: base.hostname,
      port: Number(base.port || 3306),
      user: decodeURIComponent(base.username || 'root'),
      password: decodeURIComponent(base.password),
    });
  } catch {
    return; // nothing was created if the server was never reachable
  }
  try {
    const [rows] = await connection.query(`SHOW DATABASES LIKE 'aisbf\\_t\\_${id}\\_%'`);
    for (const row of rows as Array<Record<string, string>>) {
      const name = Object.values(row)[0];
      if (name) await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
    }
  } finally {
    await connection.end();
  }
}

export async function flushRunKeys(redisUrl: string, id: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `aisbf_t_${id}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    // BullMQ queues created by tests use the prefix `aisbf_t_<id>` as their own prefix.
  } catch {
    // Redis unreachable: nothing to clean.
  } finally {
    redis.disconnect();
  }
}
