import type { Redis } from 'ioredis';
import type { Bus, BusErrorHandler, Unsubscribe } from './bus';
import { closeClient, createRedisClient, isReady } from './redis-client';
import type { Topic } from './topic';

export interface RedisBusOptions {
  url: string;
  /** Key/channel prefix shared by every process of one cluster (e.g. `aisbf:`). */
  prefix: string;
  /** Shown in CLIENT LIST as `<name>-pub` / `<name>-sub`. */
  name?: string;
  onError?: BusErrorHandler;
}

type Handler = (message: unknown) => void;

/**
 * Redis pub/sub transport. Publishing and subscribing use separate connections because a
 * connection in subscriber mode cannot run other commands. ioredis reconnects and re-subscribes by
 * itself; we only report "connected" again once the re-subscription is confirmed (a PING on the
 * subscriber connection is answered after the queued SUBSCRIBE), so a listener that re-syncs on
 * reconnect cannot miss a message published in between.
 */
export function createRedisBus(options: RedisBusOptions): Bus {
  const name = options.name ?? 'aisbf-bus';
  const onError = options.onError ?? (() => undefined);
  const pub = createRedisClient({
    url: options.url,
    name: `${name}-pub`,
    onError: (e) => onError(e, 'redis publisher'),
  });
  const sub = createRedisClient({
    url: options.url,
    name: `${name}-sub`,
    onError: (e) => onError(e, 'redis subscriber'),
    // Subscriptions are meant to be re-established after any outage, however long.
    redisOptions: { autoResubscribe: true, maxRetriesPerRequest: null },
  });
  const channelOf = (topic: Topic<unknown>): string => `${options.prefix}bus:${topic.name}`;
  const handlers = new Map<string, { topic: Topic<unknown>; set: Set<Handler> }>();
  const listeners = new Set<(connected: boolean) => void>();
  let subConfirmed = false;
  let lastReported = false;
  let closed = false;

  const report = (): void => {
    const now = !closed && subConfirmed && isReady(pub);
    if (now === lastReported) return;
    lastReported = now;
    for (const listener of [...listeners]) {
      try {
        listener(now);
      } catch (error) {
        onError(error, 'connection listener');
      }
    }
  };

  sub.on('ready', () => {
    // setImmediate: ioredis writes the re-subscriptions and queued SUBSCRIBEs right after emitting
    // 'ready'; our PING must go after them so its answer proves they are active.
    setImmediate(() => {
      if (closed || !isReady(sub)) return;
      sub.ping().then(
        () => {
          subConfirmed = true;
          report();
        },
        (error: unknown) => onError(error, 'subscriber ping'),
      );
    });
  });
  sub.on('close', () => {
    subConfirmed = false;
    report();
  });
  pub.on('ready', report);
  pub.on('close', report);

  sub.on('message', (channel: string, raw: string) => {
    const entry = handlers.get(channel);
    if (!entry) return;
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch (error) {
      onError(error, `malformed JSON on ${channel}`);
      return;
    }
    const parsed = entry.topic.schema.safeParse(data);
    if (!parsed.success) {
      onError(parsed.error, `message on ${channel} does not match its schema`);
      return;
    }
    for (const handler of [...entry.set]) {
      try {
        handler(parsed.data);
      } catch (error) {
        onError(error, `handler of ${channel}`);
      }
    }
  });

  return {
    async publish<T>(topic: Topic<T>, message: T): Promise<void> {
      if (closed) throw new Error('bus is closed');
      const parsed = topic.schema.parse(message);
      await pub.publish(channelOf(topic as Topic<unknown>), JSON.stringify(parsed));
    },
    async subscribe<T>(topic: Topic<T>, handler: (message: T) => void): Promise<Unsubscribe> {
      if (closed) throw new Error('bus is closed');
      const channel = channelOf(topic as Topic<unknown>);
      let entry = handlers.get(channel);
      const first = entry === undefined;
      if (!entry) {
        entry = { topic: topic as Topic<unknown>, set: new Set() };
        handlers.set(channel, entry);
      }
      const wrapped: Handler = (message) => handler(message as T);
      entry.set.add(wrapped);
      if (first) await sub.subscribe(channel);
      return async () => {
        const current = handlers.get(channel);
        if (!current) return;
        current.set.delete(wrapped);
        if (current.set.size === 0) {
          handlers.delete(channel);
          if (!closed && isReady(sub)) await sub.unsubscribe(channel);
        }
      };
    },
    connected: () => !closed && subConfirmed && isReady(pub),
    onConnection(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      handlers.clear();
      listeners.clear();
      await Promise.all([closeClient(pub), closeClient(sub)]);
    },
  };
}
