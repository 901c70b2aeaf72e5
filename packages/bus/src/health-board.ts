import type { Bus } from './bus';
import { healthChangedTopic, type HealthChange } from './topics';

/** Where the latest health of each provider is kept, so a node that starts late knows it. */
export interface HealthStore {
  put(change: HealthChange): Promise<void>;
  all(): Promise<HealthChange[]>;
  close(): Promise<void>;
}

/**
 * `<owner>/<provider>` for the whole provider, `<owner>/<provider>/<model>` for one of its models
 * (a provider slug never holds `/`, so the two never collide).
 */
export const healthKey = (ownerId: string | null, providerId: string, model: string | null = null): string =>
  model === null ? `${ownerId ?? ''}/${providerId}` : `${ownerId ?? ''}/${providerId}/${model}`;

const changeKey = (change: HealthChange): string => healthKey(change.providerOwnerId, change.providerId, change.model);

export function createMemoryHealthStore(): HealthStore {
  const entries = new Map<string, HealthChange>();
  return {
    async put(change) {
      entries.set(changeKey(change), change);
    },
    all: async () => [...entries.values()],
    close: async () => undefined,
  };
}

/** Worker side: what the health-check job's `publishHealth` dependency is. */
export function createHealthPublisher(options: {
  bus: Bus;
  store: HealthStore;
}): (change: HealthChange) => Promise<void> {
  return async (change) => {
    await options.store.put(change);
    await options.bus.publish(healthChangedTopic, change);
  };
}

/** Data-plane side: provider and model health as the worker last judged it. */
export interface HealthBoard {
  /**
   * Null unless the model or its whole provider is judged unhealthy; then the newest evidence time
   * (`since`) of the two. Unknown counts as healthy: health only removes capacity it has evidence
   * against, and only for a while (the data plane's half-open rule).
   */
  unhealthySince(ownerId: string | null, providerId: string, model: string): number | null;
  current(): ReadonlyMap<string, HealthChange>;
  subscribe(handler: (change: HealthChange) => void): () => void;
  close(): Promise<void>;
}

export interface HealthBoardOptions {
  bus: Bus;
  store: HealthStore;
  /** Re-read the store this often, for changes pub/sub lost (default 30 s; 0 = never). */
  pollMs?: number;
  onError?: (error: unknown, context: string) => void;
  /** Closes owned bus/store. */
  onClose?: () => Promise<void>;
}

/**
 * Applies `health.changed` announcements to a local map, and re-reads the store at start, on
 * reconnect and now and then. A change older than the entry held (by `at`) is ignored.
 */
export function createHealthBoard(options: HealthBoardOptions): HealthBoard {
  const entries = new Map<string, HealthChange>();
  const handlers = new Set<(change: HealthChange) => void>();
  const onError = options.onError ?? (() => undefined);
  let closed = false;

  const apply = (change: HealthChange): void => {
    const key = changeKey(change);
    const held = entries.get(key);
    if (held && held.at > change.at) return;
    entries.set(key, change);
    if (held?.status === change.status) return;
    for (const handler of [...handlers]) {
      try {
        handler(change);
      } catch (error) {
        onError(error, 'health handler');
      }
    }
  };
  const reload = async (): Promise<void> => {
    if (closed) return;
    try {
      for (const change of await options.store.all()) apply(change);
    } catch (error) {
      onError(error, 'health reload');
    }
  };
  const subscribed = options.bus.subscribe(healthChangedTopic, apply);
  subscribed.catch((error: unknown) => onError(error, 'health subscribe'));
  const removeListener = options.bus.onConnection((connected) => {
    if (connected) void reload();
  });
  if (options.bus.connected()) void subscribed.then(reload, () => undefined);
  const pollMs = options.pollMs ?? 30_000;
  const timer = pollMs > 0 ? setInterval(() => void reload(), pollMs) : null;
  timer?.unref();

  return {
    unhealthySince(ownerId, providerId, model) {
      const provider = sinceOf(entries.get(healthKey(ownerId, providerId)));
      const ofModel = sinceOf(entries.get(healthKey(ownerId, providerId, model)));
      return provider === null ? ofModel : ofModel === null ? provider : Math.max(provider, ofModel);
    },
    current: () => entries,
    subscribe(handler) {
      handlers.add(handler);
      return () => {
        handlers.delete(handler);
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      removeListener();
      handlers.clear();
      await Promise.race([
        subscribed.then((off) => off()).catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 100)),
      ]);
      await options.onClose?.();
    },
  };
}

const sinceOf = (change: HealthChange | undefined): number | null =>
  change?.status === 'unhealthy' ? (change.since ?? change.at) : null;
