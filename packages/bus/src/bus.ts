import type { Topic } from './topic';

export type Unsubscribe = () => Promise<void>;

/**
 * Fire-and-forget messaging between processes (docs/architecture.md "Propagation"). Delivery is at most once and in
 * publish order per publisher; anything that must not be lost (config, usage) has a durable copy
 * elsewhere (snapshot key, BullMQ) and the bus only says "look now".
 */
export interface Bus {
  /** Validates `message` against the topic schema (throws on a bug) and sends it. */
  publish<T>(topic: Topic<T>, message: T): Promise<void>;
  /** Resolves once the subscription is active, so a publish after it is seen. */
  subscribe<T>(topic: Topic<T>, handler: (message: T) => void): Promise<Unsubscribe>;
  /** True while messages can flow (always true in-process). */
  connected(): boolean;
  /** Called with `true` on every (re)connect and `false` on every loss. Returns a remover. */
  onConnection(listener: (connected: boolean) => void): () => void;
  close(): Promise<void>;
}

export type BusErrorHandler = (error: unknown, context: string) => void;
