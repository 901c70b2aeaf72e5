import type { ConfigChange, Snapshot, SnapshotSource } from '@aisbf/core';
import type { Bus } from './bus';
import type { SnapshotStore } from './snapshot-store';
import { configChangedTopic } from './topics';

export interface SnapshotSourceStatus {
  connected: boolean;
  /** Version being served, or null before the first snapshot arrived. */
  version: number | null;
  /** Epoch ms of the last successful check against the store. */
  lastSyncAt: number | null;
  /** Highest version announced on the bus (may be ahead of `version` for a moment). */
  announcedVersion: number | null;
  /** Epoch ms since when a newer announced version has not been applied; null when current. */
  behindSince: number | null;
  lastError: string | null;
}

/** core's `SnapshotSource`, plus synchronous access for the request path and status for /readyz. */
export interface ManagedSnapshotSource extends SnapshotSource {
  /** The snapshot being served (last good one while the store is away), without I/O. */
  current(): Snapshot | null;
  status(): SnapshotSourceStatus;
  /** Re-reads the store now (tests, admin action). */
  refresh(): Promise<void>;
}

export interface BusSnapshotSourceOptions {
  bus: Bus;
  store: SnapshotStore;
  /** Slow periodic version check; pub/sub drops messages silently during blips. 0 disables it. */
  pollMs?: number;
  /** How long `load()` may wait for a first snapshot at boot. */
  bootTimeoutMs?: number;
  /** Delay before re-reading when the store is behind an announcement. */
  retryMs?: number;
  /** Called when the source owns bus/store and must close them too. */
  onClose?: () => Promise<void>;
  onError?: (error: unknown, context: string) => void;
  now?: () => number;
}

/**
 * Data-plane side of docs/architecture.md "Propagation", transport-agnostic. Holds the last good snapshot and only ever
 * moves forward: an announcement newer than what we serve triggers a read of the store; a store
 * that is behind (race, lost write) is re-read shortly; reconnects and a slow poll cover messages
 * that pub/sub lost. Subscribers are told after the new snapshot is in place, so `load()` or
 * `current()` called from a subscriber already returns it without I/O.
 */
export function createBusSnapshotSource(options: BusSnapshotSourceOptions): ManagedSnapshotSource {
  const { bus, store } = options;
  const now = options.now ?? Date.now;
  const onError = options.onError ?? (() => undefined);
  const retryMs = options.retryMs ?? 50;
  const listeners = new Set<(change: ConfigChange) => void>();
  let current: Snapshot | null = null;
  let announced: ConfigChange | null = null;
  let lastSyncAt: number | null = null;
  let lastError: string | null = null;
  let behindSince: number | null = null;
  let closed = false;
  let syncing: Promise<void> | null = null;
  let again = false;
  let failures = 0;
  let behindRetries = 0;
  let retryTimer: NodeJS.Timeout | null = null;

  const notify = (change: ConfigChange): void => {
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch (error) {
        onError(error, 'snapshot subscriber');
      }
    }
  };

  const syncOnce = async (): Promise<void> => {
    const version = await store.version();
    lastSyncAt = now();
    lastError = null;
    if (version === null || (current && version <= current.version)) return;
    const snapshot = await store.get();
    if (!snapshot || (current && snapshot.version <= current.version)) return;
    current = snapshot;
    if (!announced || snapshot.version >= announced.version) behindSince = null;
    const change: ConfigChange =
      announced && announced.version === snapshot.version
        ? announced
        : { version: snapshot.version, kind: 'snapshot', id: '*', op: 'upsert' };
    notify(change);
  };

  /** Single flight: concurrent triggers collapse into one more pass after the running one. */
  const sync = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (syncing) {
      again = true;
      return syncing;
    }
    syncing = (async () => {
      try {
        do {
          again = false;
          await syncOnce();
        } while (again && !closed);
        failures = 0;
      } catch (error) {
        failures += 1;
        lastError = error instanceof Error ? error.message : String(error);
        onError(error, 'snapshot sync');
      } finally {
        syncing = null;
      }
      // Look again shortly when the store was behind an announcement we heard, or unreachable
      // (its connection may come back after the bus's; failing fast costs no I/O while it is away).
      const behind = announced !== null && (current?.version ?? -1) < announced.version;
      // A store that stays behind (a publisher that announced and then failed to store) is left to
      // the periodic check after a few quick looks, rather than polled every 50 ms forever.
      behindRetries = behind ? behindRetries + 1 : 0;
      if (!closed && ((behind && behindRetries <= 20) || failures > 0) && !retryTimer) {
        retryTimer = setTimeout(
          () => {
            retryTimer = null;
            void sync();
          },
          failures > 0 ? Math.min(retryMs * 2 ** Math.min(failures, 5), 1_000) : retryMs,
        );
        retryTimer.unref();
      }
    })();
    return syncing;
  };

  const onAnnouncement = (change: ConfigChange): void => {
    if (current && change.version <= current.version) return; // duplicate or already applied
    if (!announced || change.version > announced.version) {
      announced = change;
      behindRetries = 0;
    }
    behindSince ??= now();
    void sync();
  };

  let unsubscribeBus: (() => Promise<void>) | null = null;
  // The bus reports "connected" only once the subscription is active, so this read can never
  // miss an announcement made between the two (also at first boot).
  const removeConnectionListener = bus.onConnection((isConnected) => {
    if (isConnected) void sync();
  });
  const started = bus.subscribe(configChangedTopic, onAnnouncement).then(
    (unsubscribe) => {
      unsubscribeBus = unsubscribe;
    },
    (error: unknown) => onError(error, 'subscribe'),
  );
  // In-process buses never "connect": read once now.
  if (bus.connected()) void started.then(() => sync());
  const pollTimer = options.pollMs && options.pollMs > 0 ? setInterval(() => void sync(), options.pollMs) : null;
  pollTimer?.unref();

  /** At boot Redis may still be connecting: keep trying until a snapshot or the deadline. */
  const waitFirst = async (): Promise<void> => {
    const deadline = Date.now() + (options.bootTimeoutMs ?? 5_000);
    while (!closed) {
      await sync();
      if (current || Date.now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, Math.max(1, deadline - Date.now()))));
    }
  };

  return {
    async load() {
      if (!current) await waitFirst();
      return current;
    },
    subscribe(onChange) {
      listeners.add(onChange);
      return () => {
        listeners.delete(onChange);
      };
    },
    connected: () => !closed && bus.connected() && store.connected(),
    current: () => current,
    status: () => ({
      connected: !closed && bus.connected() && store.connected(),
      version: current?.version ?? null,
      lastSyncAt,
      announcedVersion: announced?.version ?? null,
      behindSince,
      lastError,
    }),
    refresh: () => sync(),
    async close() {
      if (closed) return;
      closed = true;
      if (pollTimer) clearInterval(pollTimer);
      if (retryTimer) clearTimeout(retryTimer);
      removeConnectionListener();
      listeners.clear();
      // A subscription still waiting for Redis would never settle; do not wait for it.
      await Promise.race([started, new Promise((resolve) => setTimeout(resolve, 100))]);
      await unsubscribeBus?.().catch(() => undefined);
      await syncing?.catch(() => undefined);
      await options.onClose?.();
    },
  };
}
