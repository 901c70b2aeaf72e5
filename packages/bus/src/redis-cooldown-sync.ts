import { randomUUID } from 'node:crypto';
import type { CooldownSync } from '@aisbf/core';
import type { BusErrorHandler } from './bus';
import { createRedisBus } from './redis-bus';
import { closeClient, createRedisClient, isReady } from './redis-client';
import { expiringKeyIndex, readExpiringKeys } from './expiring-key-index';
import { cooldownClosedTopic, cooldownOpenedTopic } from './topics';

export interface RedisCooldownSyncOptions {
  url: string;
  prefix: string;
  /** This node's id; its own announcements are not echoed back to it. */
  nodeId?: string;
  name?: string;
  onError?: BusErrorHandler;
  now?: () => number;
}

/**
 * Cooldowns shared by every data-plane node (docs/architecture.md "Rotations", docs/cluster.md). Each open
 * cooldown is a key `<prefix>cooldown:<key>` holding `<end>:<opened at>`, expiring with it (PX), and
 * a member of the sorted set `<prefix>cooldown-index` (score: the end), so a node that starts or
 * reconnects reads the open ones without walking the keyspace; the announcement on the bus tells
 * running nodes at once. A successful probe deletes the key (if the cooldown was opened before the probe was
 * sent) and announces `cooldown.closed`: a recovered backend serves again on every node at once.
 * While Redis is away the node keeps its own cooldowns (the caller's local state) and announces the
 * ones still open once Redis is back; a close made meanwhile is not replayed (the cooldown ends by
 * itself, then each node probes once).
 */
export function createRedisCooldownSync(options: RedisCooldownSyncOptions): CooldownSync {
  const nodeId = options.nodeId ?? randomUUID();
  const now = options.now ?? Date.now;
  const onError = options.onError ?? (() => undefined);
  const name = options.name ?? 'aisbf-cooldown';
  const bus = createRedisBus({ url: options.url, prefix: options.prefix, name, onError });
  const client = createRedisClient({
    url: options.url,
    name: `${name}-cmd`,
    onError: (e) => onError(e, 'cooldown client'),
  });
  const index = expiringKeyIndex(options.prefix, 'cooldown');
  const keyPrefix = index.keyPrefix;
  /** The node that sends an entry's half-open probe, `<prefix>probe:<key>` (not under `cooldown:`, which is indexed). */
  const probePrefix = `${options.prefix}probe:`;
  const handlers = new Set<(key: string, until: number) => void>();
  const closeHandlers = new Set<(key: string, at: number) => void>();
  /** Opened while Redis was away; announced on reconnect if still open. */
  const pending = new Map<string, number>();
  let closed = false;

  const deliver = (key: string, until: number): void => {
    for (const handler of [...handlers]) {
      try {
        handler(key, until);
      } catch (error) {
        onError(error, 'cooldown handler');
      }
    }
  };

  const write = async (key: string, until: number): Promise<void> => {
    const openedAt = now();
    const ttl = Math.ceil(until - openedAt);
    if (ttl <= 0) return;
    // Keep the later end when two nodes open the same cooldown (Lua: compare and set with PX). The
    // index member takes the end that stays (a key an older node wrote is indexed here too), and
    // expired members go (docs/cluster.md "Cooldowns").
    await client.eval(
      `redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
       local held = string.match(redis.call('GET', KEYS[1]) or '0', '^[^:]+') or '0'
       if (tonumber(held) or 0) >= tonumber(ARGV[1]) then
         redis.call('ZADD', KEYS[2], held, ARGV[4])
         return 0
       end
       redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[3], 'PX', ARGV[2])
       redis.call('ZADD', KEYS[2], ARGV[1], ARGV[4])
       return 1`,
      2,
      keyPrefix + key,
      index.indexKey,
      String(until),
      String(ttl),
      String(openedAt),
      key,
    );
    await bus.publish(cooldownOpenedTopic, { key, until, origin: nodeId });
  };

  /** Reads every open cooldown. */
  const readOpen = async (): Promise<Array<[string, number]>> => {
    const found: Array<[string, number]> = [];
    for (const [key, value] of await readExpiringKeys(client, index, now())) {
      const until = Number(value.split(':')[0]);
      if (Number.isFinite(until) && until > now()) found.push([key, until]);
    }
    return found;
  };

  const catchUp = async (): Promise<void> => {
    for (const [key, until] of [...pending]) {
      pending.delete(key);
      if (until > now()) await write(key, until);
    }
    if (handlers.size === 0) return;
    for (const [key, until] of await readOpen()) deliver(key, until);
  };

  const removeConnectionListener = bus.onConnection((connected) => {
    if (connected) catchUp().catch((error: unknown) => onError(error, 'cooldown catch-up'));
  });
  const subscribed = bus.subscribe(cooldownOpenedTopic, (message) => {
    if (message.origin !== nodeId) deliver(message.key, message.until);
  });
  subscribed.catch((error: unknown) => onError(error, 'cooldown subscribe'));
  const subscribedClose = bus.subscribe(cooldownClosedTopic, (message) => {
    if (message.origin === nodeId) return;
    for (const handler of [...closeHandlers]) {
      try {
        handler(message.key, message.at);
      } catch (error) {
        onError(error, 'cooldown close handler');
      }
    }
  });
  subscribedClose.catch((error: unknown) => onError(error, 'cooldown subscribe'));

  const writeClose = async (key: string, at: number): Promise<void> => {
    // Only a cooldown opened before the successful attempt was sent is over.
    // The probe's claim goes with it: the next cooldown of this entry gets its own probe.
    await client.eval(
      `local cur = redis.call('GET', KEYS[1])
       if not cur then return 0 end
       local opened = tonumber(string.match(cur, ':(%d+)$') or '0')
       if opened > tonumber(ARGV[1]) then return 0 end
       redis.call('DEL', KEYS[1], KEYS[2])
       redis.call('ZREM', KEYS[3], ARGV[2])
       return 1`,
      3,
      keyPrefix + key,
      probePrefix + key,
      index.indexKey,
      String(at),
      key,
    );
    await bus.publish(cooldownClosedTopic, { key, at, origin: nodeId });
  };

  return {
    publish(key, until) {
      if (closed || until <= now()) return;
      if (!isReady(client) || !bus.connected()) {
        const known = pending.get(key) ?? 0;
        if (until > known) pending.set(key, until);
        return;
      }
      write(key, until).catch((error: unknown) => {
        pending.set(key, Math.max(until, pending.get(key) ?? 0));
        onError(error, 'cooldown publish');
      });
    },
    publishClose(key, at) {
      if (closed) return;
      pending.delete(key);
      if (!isReady(client) || !bus.connected()) return;
      writeClose(key, at).catch((error: unknown) => onError(error, 'cooldown close'));
    },
    async claimProbe(key, ttlMs) {
      // Redis away: each node probes on its own again (at most one per node per cooldown).
      if (closed || !isReady(client)) return { claimed: true };
      try {
        const held = (await client.eval(
          // Re-entrant for the holder: a probe it cancelled (client gone) must not block its next one.
          `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return -1 end
           if redis.call('GET', KEYS[1]) == ARGV[1] then
             redis.call('PEXPIRE', KEYS[1], ARGV[2])
             return -1
           end
           return redis.call('PTTL', KEYS[1])`,
          1,
          probePrefix + key,
          nodeId,
          String(Math.max(1, Math.ceil(ttlMs))),
        )) as number;
        return held < 0 ? { claimed: true } : { claimed: false, heldForMs: held };
      } catch (error) {
        onError(error, 'probe claim');
        return { claimed: true };
      }
    },
    subscribe(handler, onClose) {
      handlers.add(handler);
      if (onClose !== undefined) closeHandlers.add(onClose);
      if (isReady(client)) {
        readOpen().then(
          (open) => {
            if (!handlers.has(handler)) return;
            for (const [key, until] of open) handler(key, until);
          },
          (error: unknown) => onError(error, 'cooldown initial read'),
        );
      }
      return () => {
        handlers.delete(handler);
        if (onClose !== undefined) closeHandlers.delete(onClose);
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      removeConnectionListener();
      handlers.clear();
      closeHandlers.clear();
      await Promise.all([subscribed.catch(() => undefined), subscribedClose.catch(() => undefined)]);
      await Promise.all([bus.close(), closeClient(client)]);
    },
  };
}
