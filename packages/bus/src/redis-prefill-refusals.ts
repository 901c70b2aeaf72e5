import { randomUUID } from 'node:crypto';
import { PREFILL_REFUSAL_TTL_MS, type PrefillRefusals } from '@aisbf/core';
import type { BusErrorHandler } from './bus';
import { createRedisBus } from './redis-bus';
import { closeClient, createRedisClient, isReady } from './redis-client';
import { expiringKeyIndex, readExpiringKeys } from './expiring-key-index';
import { prefillRefusedTopic } from './topics';

export interface RedisPrefillRefusalsOptions {
  url: string;
  prefix: string;
  nodeId?: string;
  name?: string;
  onError?: BusErrorHandler;
  /** How long a refusal is remembered (default PREFILL_REFUSAL_TTL_MS, 7 days). */
  ttlMs?: number;
  now?: () => number;
}

/**
 * Entries that refused an assistant prefill, for the whole cluster (docs/reliability.md): one key
 * `<prefix>prefill-refused:<key>` per refusal with a PX TTL, indexed in the sorted set
 * `<prefix>prefill-refused-index` (score: its expiry) and read through it by every node at start
 * and on reconnect, and a `prefill.refused` announcement for the running ones. The same shape as the
 * cooldown sync; a refusal reported while Redis is away is written once it is back.
 */
export function createRedisPrefillRefusals(options: RedisPrefillRefusalsOptions): PrefillRefusals {
  const nodeId = options.nodeId ?? randomUUID();
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? PREFILL_REFUSAL_TTL_MS;
  const onError = options.onError ?? (() => undefined);
  const name = options.name ?? 'aisbf-prefill';
  const bus = createRedisBus({ url: options.url, prefix: options.prefix, name, onError });
  const client = createRedisClient({ url: options.url, name: `${name}-cmd`, onError: (e) => onError(e, 'prefill') });
  const index = expiringKeyIndex(options.prefix, 'prefill-refused');
  const handlers = new Set<(key: string) => void>();
  const pending = new Set<string>();
  let closed = false;

  const deliver = (key: string): void => {
    for (const handler of [...handlers]) {
      try {
        handler(key);
      } catch (error) {
        onError(error, 'prefill handler');
      }
    }
  };
  const write = async (key: string): Promise<void> => {
    const at = now();
    // Key and index member together; the expired members go on each write (docs/cluster.md).
    const results = await client
      .multi()
      .set(index.keyPrefix + key, String(at), 'PX', ttlMs)
      .zadd(index.indexKey, at + ttlMs, key)
      .zremrangebyscore(index.indexKey, '-inf', at)
      .exec();
    const failed = results?.find(([error]) => error !== null)?.[0];
    if (failed) throw failed;
    await bus.publish(prefillRefusedTopic, { key, at, origin: nodeId });
  };
  const readAll = async (): Promise<string[]> => (await readExpiringKeys(client, index, now())).map(([key]) => key);
  const catchUp = async (): Promise<void> => {
    for (const key of [...pending]) {
      pending.delete(key);
      await write(key);
    }
    if (handlers.size > 0) for (const key of await readAll()) deliver(key);
  };

  const removeConnectionListener = bus.onConnection((connected) => {
    if (connected) catchUp().catch((error: unknown) => onError(error, 'prefill catch-up'));
  });
  const subscribed = bus.subscribe(prefillRefusedTopic, (message) => {
    if (message.origin !== nodeId) deliver(message.key);
  });
  subscribed.catch((error: unknown) => onError(error, 'prefill subscribe'));

  return {
    publish(key) {
      if (closed) return;
      if (!isReady(client) || !bus.connected()) {
        pending.add(key);
        return;
      }
      write(key).catch((error: unknown) => {
        pending.add(key);
        onError(error, 'prefill publish');
      });
    },
    subscribe(handler) {
      handlers.add(handler);
      if (isReady(client)) {
        readAll().then(
          (keys) => {
            if (handlers.has(handler)) for (const key of keys) handler(key);
          },
          (error: unknown) => onError(error, 'prefill initial read'),
        );
      }
      return () => {
        handlers.delete(handler);
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      removeConnectionListener();
      handlers.clear();
      await subscribed.catch(() => undefined);
      await Promise.all([bus.close(), closeClient(client)]);
    },
  };
}
