import type { Snapshot } from '@aisbf/core';
import type { Redis } from 'ioredis';
import { closeClient, createRedisClient, isReady } from './redis-client';
import type { SnapshotStore } from './snapshot-store';

export interface RedisSnapshotStoreOptions {
  url: string;
  prefix: string;
  name?: string;
  onError?: (error: unknown) => void;
}

// Compare-and-set on the version so an older snapshot never overwrites a newer one (two control
// planes may publish concurrently). The version sits in its own key for the cheap periodic check.
const PUT_SCRIPT = `
local current = tonumber(redis.call('GET', KEYS[2]) or '-1')
local incoming = tonumber(ARGV[1])
if current >= incoming then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[1])
return 1
`;

export class SnapshotStoreUnavailableError extends Error {
  override readonly name = 'SnapshotStoreUnavailableError';
}

/**
 * Snapshot kept as one JSON string under `<prefix>snapshot`, its version under
 * `<prefix>snapshot:version`. Full snapshots each time: simple, and small enough (see
 * docs/cluster.md for sizes and latencies). Provider keys stay ciphertext inside it.
 */
export function createRedisSnapshotStore(options: RedisSnapshotStoreOptions): SnapshotStore & { client: Redis } {
  const client = createRedisClient({
    url: options.url,
    name: options.name ?? 'aisbf-snapshot',
    onError: options.onError,
  });
  const dataKey = `${options.prefix}snapshot`;
  const versionKey = `${options.prefix}snapshot:version`;
  // Reads fail at once while Redis is away: the caller keeps its last good snapshot instead of
  // waiting on ioredis' offline queue.
  const ensureReady = (): void => {
    if (!isReady(client)) throw new SnapshotStoreUnavailableError(`redis is ${client.status}`);
  };
  return {
    client,
    async put(snapshot) {
      const stored = await client.eval(
        PUT_SCRIPT,
        2,
        dataKey,
        versionKey,
        String(snapshot.version),
        JSON.stringify(snapshot),
      );
      return stored === 1;
    },
    async get() {
      ensureReady();
      const raw = await client.get(dataKey);
      if (raw === null) return null;
      const parsed: unknown = JSON.parse(raw);
      if (!isSnapshotShape(parsed)) throw new Error(`${dataKey} does not hold a snapshot`);
      return parsed;
    },
    async version() {
      ensureReady();
      const raw = await client.get(versionKey);
      return raw === null ? null : Number(raw);
    },
    connected: () => isReady(client),
    close: () => closeClient(client),
  };
}

/** Shape check only: the control plane wrote it; this guards against a foreign or truncated value. */
function isSnapshotShape(value: unknown): value is Snapshot {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['version'] === 'number' &&
    ['users', 'tokens', 'providers', 'rotations', 'autoselects'].every((field) => Array.isArray(v[field]))
  );
}
