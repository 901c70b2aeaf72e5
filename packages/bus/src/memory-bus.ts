import type { Bus, BusErrorHandler, Unsubscribe } from './bus';
import type { Topic } from './topic';

export interface MemoryBusOptions {
  onError?: BusErrorHandler;
}

type Handler = (message: unknown) => void;

/**
 * In-process bus for all-in-one mode. Delivery is asynchronous (a microtask per message) so code
 * written against it does not come to rely on synchronous delivery that Redis cannot give.
 */
export function createMemoryBus(options: MemoryBusOptions = {}): Bus {
  const handlers = new Map<string, Set<Handler>>();
  let closed = false;
  const onError = options.onError ?? (() => undefined);

  return {
    async publish<T>(topic: Topic<T>, message: T): Promise<void> {
      if (closed) throw new Error('bus is closed');
      const parsed = topic.schema.parse(message);
      const targets = [...(handlers.get(topic.name) ?? [])];
      queueMicrotask(() => {
        for (const handler of targets) {
          try {
            handler(parsed);
          } catch (error) {
            onError(error, `handler of ${topic.name}`);
          }
        }
      });
    },
    async subscribe<T>(topic: Topic<T>, handler: (message: T) => void): Promise<Unsubscribe> {
      if (closed) throw new Error('bus is closed');
      const set = handlers.get(topic.name) ?? new Set<Handler>();
      handlers.set(topic.name, set);
      // Each subscription gets its own wrapper so the same function may subscribe twice.
      const wrapped: Handler = (message) => handler(message as T);
      set.add(wrapped);
      return async () => {
        set.delete(wrapped);
      };
    },
    connected: () => !closed,
    onConnection: () => () => undefined,
    async close(): Promise<void> {
      closed = true;
      handlers.clear();
    },
  };
}
