import type { Redis } from 'ioredis';
import { DEFAULT_RESPONSE_TTL_S, type ResponseStore } from '@aisbf/core';
import { closeClient, createRedisClient } from './redis-client';

export interface RedisResponseStoreOptions {
  url: string;
  /** Key prefix, e.g. `aisbf:`; entries live at `{prefix}resp:{userId}:{id}`. */
  prefix: string;
  ttlS?: number;
  name?: string;
  onError?: (error: unknown) => void;
  client?: Redis;
}

/**
 * Cluster mode's stored responses (docs/clients.md): one Redis for every data-plane node, so a
 * follow-up may land on any node. Each entry expires by itself (EX); the key holds the user id,
 * so one user can never read another's response.
 */
export function createRedisResponseStore(options: RedisResponseStoreOptions): ResponseStore {
  const owned = options.client === undefined;
  const client =
    options.client ??
    createRedisClient({ url: options.url, name: options.name ?? 'aisbf-responses', onError: options.onError });
  const ttl = options.ttlS ?? DEFAULT_RESPONSE_TTL_S;
  const key = (userId: string, id: string): string => `${options.prefix}resp:${userId}:${id}`;
  return {
    get: (userId, id) => client.get(key(userId, id)),
    async set(userId, id, json) {
      await client.set(key(userId, id), json, 'EX', ttl);
    },
    async close() {
      if (owned) await closeClient(client);
    },
  };
}
