import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { closeClient, createRedisClient } from './redis-client';

/** Structurally the control plane's `Session` / `SessionStore` port (bus cannot import it). */
export interface StoredSession {
  userId: string;
  /** Epoch ms. */
  expiresAt: number;
}

export interface RedisSessionStore {
  create(userId: string, ttlMs: number): Promise<string>;
  get(id: string): Promise<StoredSession | null>;
  delete(id: string): Promise<void>;
  deleteForUser(userId: string): Promise<void>;
  close(): Promise<void>;
}

export interface RedisSessionStoreOptions {
  url: string;
  prefix: string;
  name?: string;
  onError?: (error: unknown) => void;
  /** Shared client instead of an own connection (not closed by `close()`). */
  client?: Redis;
  now?: () => number;
}

/**
 * Dashboard sessions shared by every control-plane replica (docs/architecture.md "Processes and ports"). Redis holds only the
 * SHA-256 of the cookie value, so a dump of Redis cannot be replayed as a login. Each session key
 * expires by itself (PX); a per-user set of session hashes lets "disable user" end them all.
 */
export function createRedisSessionStore(options: RedisSessionStoreOptions): RedisSessionStore {
  const owned = options.client === undefined;
  const client =
    options.client ??
    createRedisClient({ url: options.url, name: options.name ?? 'aisbf-sessions', onError: options.onError });
  const now = options.now ?? Date.now;
  const hash = (id: string): string => createHash('sha256').update(id).digest('hex');
  const sessionKey = (h: string): string => `${options.prefix}session:${h}`;
  const userKey = (userId: string): string => `${options.prefix}user-sessions:${userId}`;

  return {
    async create(userId, ttlMs) {
      const id = randomBytes(32).toString('base64url');
      const h = hash(id);
      const session: StoredSession = { userId, expiresAt: now() + ttlMs };
      await client
        .multi()
        .set(sessionKey(h), JSON.stringify(session), 'PX', ttlMs)
        .sadd(userKey(userId), h)
        // The index lives as long as the longest session that may be in it.
        .pexpire(userKey(userId), ttlMs, 'GT')
        .pexpire(userKey(userId), ttlMs, 'NX')
        .exec();
      return id;
    },
    async get(id) {
      const raw = await client.get(sessionKey(hash(id)));
      if (raw === null) return null;
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        return null;
      }
      if (typeof parsed !== 'object' || parsed === null) return null;
      const { userId, expiresAt } = parsed as Record<string, unknown>;
      if (typeof userId !== 'string' || typeof expiresAt !== 'number' || expiresAt <= now()) return null;
      return { userId, expiresAt };
    },
    async delete(id) {
      const h = hash(id);
      const raw = await client.get(sessionKey(h));
      const multi = client.multi().del(sessionKey(h));
      if (raw !== null) {
        try {
          const userId = (JSON.parse(raw) as { userId?: unknown }).userId;
          if (typeof userId === 'string') multi.srem(userKey(userId), h);
        } catch {
          // an unreadable session is simply deleted
        }
      }
      await multi.exec();
    },
    async deleteForUser(userId) {
      const hashes = await client.smembers(userKey(userId));
      const multi = client.multi().del(userKey(userId));
      for (const h of hashes) multi.del(sessionKey(h));
      await multi.exec();
    },
    async close() {
      if (owned) await closeClient(client);
    },
  };
}
