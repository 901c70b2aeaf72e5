import type { BusErrorHandler } from './bus';
import { createBusSnapshotSource, type ManagedSnapshotSource } from './bus-snapshot-source';
import { createRedisBus } from './redis-bus';
import { createRedisSnapshotStore } from './redis-snapshot-store';

export interface RedisSnapshotSourceOptions {
  url: string;
  prefix: string;
  /** Periodic version check (default 5 s): the safety net for lost pub/sub messages. */
  pollMs?: number;
  bootTimeoutMs?: number;
  /** Connection name prefix in CLIENT LIST. */
  name?: string;
  onError?: BusErrorHandler;
}

/** What `aisbf data-plane` serves from: its own subscriber and reader connections to Redis. */
export function createRedisSnapshotSource(options: RedisSnapshotSourceOptions): ManagedSnapshotSource {
  const name = options.name ?? 'aisbf-dp';
  const onError = options.onError ?? (() => undefined);
  const bus = createRedisBus({ url: options.url, prefix: options.prefix, name, onError });
  const store = createRedisSnapshotStore({
    url: options.url,
    prefix: options.prefix,
    name: `${name}-snapshot`,
    onError: (e) => onError(e, 'snapshot store'),
  });
  return createBusSnapshotSource({
    bus,
    store,
    pollMs: options.pollMs ?? 5_000,
    bootTimeoutMs: options.bootTimeoutMs,
    onError,
    onClose: async () => {
      await Promise.all([bus.close(), store.close()]);
    },
  });
}
