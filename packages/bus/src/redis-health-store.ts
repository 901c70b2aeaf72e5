import type { BusErrorHandler } from './bus';
import {
  createHealthBoard,
  createHealthPublisher,
  healthKey,
  type HealthBoard,
  type HealthStore,
} from './health-board';
import { createRedisBus } from './redis-bus';
import { closeClient, createRedisClient } from './redis-client';
import { healthChangeSchema, type HealthChange } from './topics';

export interface RedisHealthOptions {
  url: string;
  prefix: string;
  name?: string;
  onError?: BusErrorHandler;
}

/**
 * Latest health per provider and per provider model in one hash, `<prefix>health` (field
 * `<owner>/<provider>` or `<owner>/<provider>/<model>`).
 */
export function createRedisHealthStore(options: RedisHealthOptions): HealthStore {
  const client = createRedisClient({
    url: options.url,
    name: options.name ?? 'aisbf-health',
    onError: (e) => options.onError?.(e, 'health store'),
  });
  const key = `${options.prefix}health`;
  return {
    async put(change) {
      await client.hset(
        key,
        healthKey(change.providerOwnerId, change.providerId, change.model),
        JSON.stringify(change),
      );
    },
    async all() {
      const out: HealthChange[] = [];
      for (const raw of Object.values(await client.hgetall(key))) {
        try {
          const parsed = healthChangeSchema.safeParse(JSON.parse(raw));
          if (parsed.success) out.push(parsed.data);
        } catch {
          // a foreign value: skip it
        }
      }
      return out;
    },
    close: () => closeClient(client),
  };
}

/** Worker side in cluster mode; returns the `publishHealth` function and its closer. */
export function createRedisHealthPublisher(options: RedisHealthOptions): {
  publishHealth: (change: HealthChange) => Promise<void>;
  close(): Promise<void>;
} {
  const bus = createRedisBus({
    url: options.url,
    prefix: options.prefix,
    name: `${options.name ?? 'aisbf-health'}-bus`,
    onError: options.onError,
  });
  const store = createRedisHealthStore(options);
  return {
    publishHealth: createHealthPublisher({ bus, store }),
    async close() {
      await Promise.all([bus.close(), store.close()]);
    },
  };
}

/** Data-plane side in cluster mode. */
export function createRedisHealthBoard(options: RedisHealthOptions & { pollMs?: number }): HealthBoard {
  const bus = createRedisBus({
    url: options.url,
    prefix: options.prefix,
    name: `${options.name ?? 'aisbf-dp-health'}-bus`,
    onError: options.onError,
  });
  const store = createRedisHealthStore(options);
  return createHealthBoard({
    bus,
    store,
    pollMs: options.pollMs,
    onError: options.onError,
    onClose: async () => {
      await Promise.all([bus.close(), store.close()]);
    },
  });
}
