import { Redis, type RedisOptions } from 'ioredis';

export interface RedisClientOptions {
  /** `redis://` or `rediss://` URL. */
  url: string;
  /** Shown in `CLIENT LIST`, which helps operators (and tests) find a node's connections. */
  name: string;
  onError?: (error: unknown) => void;
  /** Extra ioredis options (e.g. `maxRetriesPerRequest: null` for BullMQ). */
  redisOptions?: RedisOptions;
}

/**
 * One place for connection policy: reconnect forever with a capped backoff (a data-plane node must
 * outlive any Redis outage), fail single commands fast instead of queueing them for minutes.
 */
export function createRedisClient(options: RedisClientOptions): Redis {
  const client = new Redis(options.url, {
    connectionName: options.name,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(25 * 2 ** Math.min(attempt, 6), 1_000),
    ...options.redisOptions,
  });
  // Without a listener ioredis prints every failed reconnect as an unhandled error.
  client.on('error', (error: unknown) => options.onError?.(error));
  return client;
}

export const isReady = (client: Redis): boolean => client.status === 'ready';

/** Waits until `client` is ready, or throws after `timeoutMs`. */
export async function waitReady(client: Redis, timeoutMs: number): Promise<void> {
  if (isReady(client)) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}

/**
 * For request-path stores with a local twin to fall back on: whether Redis may be asked now. Before
 * the first connect it waits briefly for it (boot); after that, a lost connection means "decide
 * locally now" rather than queue the request behind a reconnect.
 */
export function redisUsable(client: Redis, bootWaitMs = 1_000): () => Promise<boolean> {
  let everReady = isReady(client);
  client.once('ready', () => {
    everReady = true;
  });
  let boot: Promise<void> | null = null;
  return async () => {
    if (isReady(client)) return true;
    if (everReady) return false;
    boot ??= waitReady(client, bootWaitMs).catch(() => undefined);
    await boot;
    return isReady(client);
  };
}

/** Closes without waiting for a server that may be gone. */
export async function closeClient(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (isReady(client)) {
    try {
      await client.quit();
      return;
    } catch {
      // fall through to a hard disconnect
    }
  }
  client.disconnect();
}
