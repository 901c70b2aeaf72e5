import type { BusErrorHandler } from './bus';
import { createBusPartSource, type ManagedPartSource } from './bus-part-source';
import { createRedisBus } from './redis-bus';
import { createRedisPartStore } from './redis-part-store';

export interface RedisPartSourceOptions {
  url: string;
  prefix: string;
  /** Periodic log read (default 5 s): the safety net for lost pub/sub messages. */
  pollMs?: number;
  bootTimeoutMs?: number;
  /** Byte budget of held user parts (default 64 MiB; `AISBF_CONFIG_CACHE_MB`). */
  budgetBytes?: number;
  /** Unknown token hashes remembered (createBusPartSource's `unknownTokens`). */
  unknownTokens?: { max?: number; ttlMs?: number };
  /** Connection name prefix in CLIENT LIST. */
  name?: string;
  onError?: BusErrorHandler;
}

/** What `aisbf data-plane` serves from: its own subscriber and reader connections to Redis. */
export function createRedisPartSource(options: RedisPartSourceOptions): ManagedPartSource {
  const name = options.name ?? 'aisbf-dp';
  const onError = options.onError ?? (() => undefined);
  const bus = createRedisBus({ url: options.url, prefix: options.prefix, name, onError });
  const store = createRedisPartStore({
    url: options.url,
    prefix: options.prefix,
    name: `${name}-parts`,
    onError: (e) => onError(e, 'part store'),
  });
  return createBusPartSource({
    bus,
    store,
    pollMs: options.pollMs ?? 5_000,
    ...(options.bootTimeoutMs === undefined ? {} : { bootTimeoutMs: options.bootTimeoutMs }),
    ...(options.budgetBytes === undefined ? {} : { budgetBytes: options.budgetBytes }),
    ...(options.unknownTokens === undefined ? {} : { unknownTokens: options.unknownTokens }),
    onError,
    onClose: async () => {
      await Promise.all([bus.close(), store.close()]);
    },
  });
}
