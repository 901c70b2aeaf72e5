import type { CooldownSync } from '@aisbf/core';
import type { BusErrorHandler } from './bus';
import { closeClient, createRedisClient } from './redis-client';
import { expiringKeyIndex, readExpiringKeys } from './expiring-key-index';

/** One open cooldown as the cluster stores it (docs/cluster.md "Cooldowns"). */
export interface OpenCooldown {
  /** The entry key `<owner scope>|<provider>|<model>`, as the data plane's routing index builds it. */
  key: string;
  /** Epoch ms the cooldown ends. */
  until: number;
  /** Epoch ms it was opened. */
  openedAt: number;
}

/**
 * Read side of the shared cooldown state, for whoever shows it (the control plane's dashboard):
 * the open cooldowns, without joining the bus as a node would.
 */
export interface CooldownReader {
  open(): Promise<OpenCooldown[]>;
  close(): Promise<void>;
}

/** `<end>:<opened at>`, the value `createRedisCooldownSync` writes; null for a foreign value. */
export function parseCooldownValue(value: string | null | undefined): { until: number; openedAt: number } | null {
  const match = /^(\d+):(\d+)$/.exec(value ?? '');
  if (match === null) return null;
  return { until: Number(match[1]), openedAt: Number(match[2]) };
}

/**
 * Cluster mode: reads the keys the index `<prefix>cooldown-index` names (one script, O(open
 * cooldowns), no SCAN of the keyspace; docs/cluster.md "Cooldowns"). Each key expires with its
 * cooldown (PX), so what is found is open.
 */
export function createRedisCooldownReader(options: {
  url: string;
  prefix: string;
  name?: string;
  onError?: BusErrorHandler;
  now?: () => number;
}): CooldownReader {
  const now = options.now ?? Date.now;
  const client = createRedisClient({
    url: options.url,
    name: options.name ?? 'aisbf-cooldown-reader',
    onError: (e) => options.onError?.(e, 'cooldown reader'),
  });
  const index = expiringKeyIndex(options.prefix, 'cooldown');
  return {
    async open() {
      const found: OpenCooldown[] = [];
      const at = now();
      for (const [key, value] of await readExpiringKeys(client, index, at)) {
        const parsed = parseCooldownValue(value);
        if (parsed !== null && parsed.until > at) found.push({ key, ...parsed });
      }
      return found;
    },
    close: () => closeClient(client),
  };
}

/**
 * All-in-one mode: the one data plane's `CooldownSync` (there is no other node to tell), which
 * keeps what it is told so the control plane in the same process can read it, with the same
 * rules as the Redis store: the later end wins, a close removes only a cooldown opened before the
 * successful attempt was sent.
 */
export function createMemoryCooldownSync(options: { now?: () => number } = {}): CooldownSync & CooldownReader {
  const now = options.now ?? Date.now;
  const entries = new Map<string, { until: number; openedAt: number }>();
  return {
    publish(key, until) {
      const at = now();
      if (until <= at) return;
      const held = entries.get(key);
      if (held !== undefined && held.until >= until && held.until > at) return;
      entries.set(key, { until, openedAt: at });
    },
    publishClose(key, at) {
      const held = entries.get(key);
      if (held !== undefined && held.openedAt <= at) entries.delete(key);
    },
    // A single node hears no other node.
    subscribe: () => () => undefined,
    async open() {
      const at = now();
      const out: OpenCooldown[] = [];
      for (const [key, held] of entries) {
        if (held.until > at) out.push({ key, ...held });
        else entries.delete(key);
      }
      return out;
    },
    close: async () => undefined,
  };
}
