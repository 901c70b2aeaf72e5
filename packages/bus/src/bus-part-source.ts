import {
  GLOBAL_PART,
  partUserId,
  type ConfigChange,
  type ConfigParts,
  type GlobalPart,
  type UserPart,
} from '@aisbf/core';
import type { Bus } from './bus';
import { LOG_START, type LogEntry, type PartStore, type Stored } from './part-store';
import { configChangedTopic } from './topics';

export interface PartSourceStatus {
  connected: boolean;
  /** Highest version applied, or null before the global part arrived. */
  version: number | null;
  /** Epoch ms of the last successful read of the change log. */
  lastSyncAt: number | null;
  /** Highest version announced on the bus (may be ahead of `version` for a moment). */
  announcedVersion: number | null;
  /** Epoch ms since when a newer announced version has not been applied; null when current. */
  behindSince: number | null;
  lastError: string | null;
  /** User parts held in memory, and their estimated heap cost (what the budget counts). */
  usersHeld: number;
  bytesHeld: number;
  /** Serialised (JSON) size of the held user parts. */
  jsonBytesHeld: number;
  /** Byte budget of held user parts (estimated heap bytes). */
  budgetBytes: number;
  /** Unknown token hashes remembered, and requests they answered without a store read. */
  unknownTokensHeld: number;
  unknownTokenHits: number;
  /** User parts loaded on first use, evicted by the budget, and full resynchronisations. */
  loads: number;
  evictions: number;
  resyncs: number;
}

/** core's `ConfigParts`, plus subscriptions and status for /readyz and /metrics. */
export interface ManagedPartSource extends ConfigParts {
  /**
   * Waits (up to the boot timeout) for the global part and returns whether it arrived: boot cost
   * is the global part, never the users.
   */
  load(): Promise<boolean>;
  /** Called after each applied batch, with the newest announcement it covered. */
  subscribe(onChange: (change: ConfigChange) => void): () => void;
  /** True while the store is reachable. */
  connected(): boolean;
  status(): PartSourceStatus;
  /** Reads the change log now (tests, admin action). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Default budget for held user parts, in estimated heap bytes (`AISBF_CONFIG_CACHE_MB`,
 * docs/cluster.md "What a node holds: the cache budget").
 */
export const DEFAULT_PART_BUDGET_BYTES = 64 * 1024 * 1024;

/**
 * What a held user part costs in the heap per character of its JSON: the parsed part, the index
 * and route resolver the data plane builds over it, and its first resolved route. Measured with
 * `test/bench/part-heap.bench.ts` (heapUsed after forced GCs, 5,000 parts of each shape): 4.9× for
 * `pnpm bench:scale`'s user (1,650 chars: 1 token, 2 providers, 1 rotation, 1 autoselect),
 * 7.3× for a user with one token and nothing else, 7.0× for one with 8 providers × 5 models and
 * 4 rotations of 6 entries (docs/cluster.md). The highest is used, so the budget over-counts
 * rather than under-counts.
 */
export const HEAP_BYTES_PER_PART_CHAR = 7.3;

/** Unknown token hashes remembered at most, and for how long (docs/cluster.md "Unknown tokens"). */
export const DEFAULT_UNKNOWN_TOKENS = 10_000;
export const DEFAULT_UNKNOWN_TOKEN_TTL_MS = 5_000;

export interface BusPartSourceOptions {
  bus: Bus;
  store: PartStore;
  /** Estimated heap bytes of user parts held at most; least recently used parts go first. */
  budgetBytes?: number;
  /** Unknown token hashes remembered (a flood of bad tokens costs no store read each). */
  unknownTokens?: { max?: number; ttlMs?: number };
  /** Slow periodic log read; pub/sub drops messages silently during blips. 0 disables it. */
  pollMs?: number;
  /** How long `load()` may wait for the global part at boot. */
  bootTimeoutMs?: number;
  /** Delay before re-reading when the log is behind an announcement. */
  retryMs?: number;
  /** Log entries read per round trip. */
  batch?: number;
  /** Called when the source owns bus/store and must close them too. */
  onClose?: () => Promise<void>;
  onError?: (error: unknown, context: string) => void;
  now?: () => number;
}

interface Held {
  part: UserPart;
  /** JSON characters, and the estimated heap cost the budget counts. */
  bytes: number;
  cost: number;
}

/**
 * Data-plane side of docs/cluster.md "Partitioned propagation", transport-agnostic. Holds the
 * global part and the user parts it served recently (LRU within a byte budget) and only moves
 * forward. An announcement, a reconnect or the slow poll reads the change log after the node's
 * cursor and re-reads only the parts it names that the node holds: a change costs the size of
 * the change. A log that no longer reaches back to the cursor (trimmed, or Redis restarted) makes
 * the node re-read the global part and what it holds. Subscribers are told after the parts are
 * in place, so reads from a subscriber already see them.
 */
export function createBusPartSource(options: BusPartSourceOptions): ManagedPartSource {
  const { bus, store } = options;
  const now = options.now ?? Date.now;
  const onError = options.onError ?? (() => undefined);
  const retryMs = options.retryMs ?? 50;
  const batch = options.batch ?? 1_000;
  const budgetBytes = options.budgetBytes ?? DEFAULT_PART_BUDGET_BYTES;
  const listeners = new Set<(change: ConfigChange) => void>();
  let global: GlobalPart | null = null;
  /** Insertion order is recency: the first entry is the least recently used. */
  const users = new Map<string, Held>();
  /**
   * The entry last put at the end of `users`: touching it again changes no order, so a node
   * serving one busy user does not delete and re-insert it on every request
   * (docs/benchmarks.md "Bookkeeping per request").
   */
  let newest: Held | null = null;
  const tokenOwners = new Map<string, string>();
  const names = new Map<string, string>();
  let bytesHeld = 0;
  let jsonBytesHeld = 0;
  /**
   * Token hashes the store did not know, with when that answer expires; insertion order is age.
   * Cleared whenever a token may have appeared (see forgetUnknown), so a new token works at once.
   */
  const unknownMax = options.unknownTokens?.max ?? DEFAULT_UNKNOWN_TOKENS;
  const unknownTtlMs = options.unknownTokens?.ttlMs ?? DEFAULT_UNKNOWN_TOKEN_TTL_MS;
  const unknown = new Map<string, number>();
  /** Bumped on each clear: a lookup that started before it must not remember its answer. */
  let unknownEpoch = 0;
  let unknownTokenHits = 0;
  /** Token lookups in flight (one per hash), and users a log entry named while any was. */
  const tokenReads = new Map<string, Promise<string | null>>();
  const namedDuringTokenReads = new Set<string>();
  let resyncEpoch = 0;
  /** User loads in flight, and the users a log entry named meanwhile (their load is re-read). */
  const loading = new Map<string, Promise<UserPart | null>>();
  const staleLoads = new Set<string>();
  let cursor: string | null = null;
  let version: number | null = null;
  let createdAt: number | null = null;
  let announced: ConfigChange | null = null;
  let lastSyncAt: number | null = null;
  let lastError: string | null = null;
  let behindSince: number | null = null;
  let loads = 0;
  let evictions = 0;
  let resyncs = 0;
  let closed = false;
  let syncing: Promise<void> | null = null;
  let again = false;
  let failures = 0;
  let behindRetries = 0;
  let retryTimer: NodeJS.Timeout | null = null;

  const drop = (userId: string): void => {
    const held = users.get(userId);
    if (held === undefined) return;
    users.delete(userId);
    bytesHeld -= held.cost;
    jsonBytesHeld -= held.bytes;
    for (const token of held.part.tokens) if (tokenOwners.get(token.hash) === userId) tokenOwners.delete(token.hash);
    if (names.get(held.part.user.username) === userId) names.delete(held.part.user.username);
  };
  const hold = (userId: string, stored: Stored<UserPart>): void => {
    const held = users.get(userId);
    // Never backwards: a slower read of an older version loses to what is held.
    if (held !== undefined && held.part.version > stored.part.version) return;
    drop(userId);
    const cost = Math.ceil(stored.bytes * HEAP_BYTES_PER_PART_CHAR);
    newest = { part: stored.part, bytes: stored.bytes, cost };
    users.set(userId, newest);
    bytesHeld += cost;
    jsonBytesHeld += stored.bytes;
    for (const token of stored.part.tokens) tokenOwners.set(token.hash, userId);
    names.set(stored.part.user.username, userId);
    // The part just used stays even alone over budget: a node serves at least the user at hand.
    while (bytesHeld > budgetBytes && users.size > 1) {
      const oldest = users.keys().next().value as string;
      drop(oldest);
      evictions += 1;
    }
  };
  const setGlobal = (stored: Stored<GlobalPart> | null): void => {
    if (stored === null || (global !== null && global.version > stored.part.version)) return;
    global = stored.part;
    if (version === null || stored.part.version > version) {
      version = stored.part.version;
      createdAt = stored.part.createdAt;
    }
  };

  const notify = (change: ConfigChange): void => {
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch (error) {
        onError(error, 'config subscriber');
      }
    }
  };

  /** Re-reads the held user parts (those a log entry named, or all of them). */
  const reloadUsers = async (ids: readonly string[]): Promise<void> => {
    if (ids.length === 0) return;
    const read = await store.getUsers(ids);
    ids.forEach((id, i) => {
      const stored = read[i];
      if (stored === null || stored === undefined) drop(id);
      else if (users.has(id)) hold(id, stored);
    });
  };

  /** Global part and every held part from scratch; the cursor moves to the log's head. */
  const resync = async (): Promise<void> => {
    const head = await store.head();
    const [stored] = await Promise.all([store.getGlobal(), reloadUsers([...users.keys()])]);
    setGlobal(stored);
    for (const id of loading.keys()) staleLoads.add(id);
    resyncEpoch += 1;
    forgetUnknown();
    advance(head);
    if (cursor !== null) resyncs += 1;
    cursor = head?.id ?? LOG_START;
  };

  const advance = (entry: LogEntry | null): void => {
    if (entry === null) return;
    if (version === null || entry.version > version) {
      version = entry.version;
      createdAt = entry.at;
    }
  };

  const boot = async (): Promise<void> => {
    const head = await store.head();
    const stored = await store.getGlobal();
    if (stored === null) return; // nothing published yet: keep trying
    setGlobal(stored);
    advance(head);
    cursor = head?.id ?? LOG_START;
  };

  const syncOnce = async (): Promise<void> => {
    if (cursor === null) {
      await boot();
      lastSyncAt = now();
      lastError = null;
      return;
    }
    for (;;) {
      const entries = await store.readLog(cursor, batch);
      lastSyncAt = now();
      lastError = null;
      const first = entries[0];
      if (first === undefined) return;
      if (first.prev !== cursor || entries.some((e) => e.part === '*')) return resync();
      let globalNamed = false;
      const named = new Set<string>();
      for (const entry of entries) {
        const userId = entry.part === GLOBAL_PART ? null : partUserId(entry.part as `user:${string}`);
        if (userId === null) globalNamed = true;
        else {
          if (users.has(userId)) named.add(userId);
          else if (loading.has(userId)) staleLoads.add(userId);
          if (tokenReads.size > 0) namedDuringTokenReads.add(userId);
          // A user part written that no announcement covered yet (store first, announce second,
          // or the announcement was lost) may hold a new token.
          if (announced === null || entry.version > announced.version) forgetUnknown();
        }
      }
      const [stored] = await Promise.all([
        globalNamed ? store.getGlobal() : Promise.resolve(null),
        reloadUsers([...named]),
      ]);
      setGlobal(stored);
      const last = entries.at(-1)!;
      advance(last);
      cursor = last.id;
      if (entries.length < batch) return;
    }
  };

  /** Single flight: concurrent triggers collapse into one more pass after the running one. */
  const sync = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (syncing) {
      again = true;
      return syncing;
    }
    syncing = (async () => {
      const before = version;
      try {
        do {
          again = false;
          await syncOnce();
        } while (again && !closed);
        failures = 0;
      } catch (error) {
        failures += 1;
        lastError = error instanceof Error ? error.message : String(error);
        onError(error, 'config sync');
      } finally {
        syncing = null;
      }
      const current = version ?? -1;
      if (!announced || current >= announced.version) behindSince = null;
      // Subscribers hear of new versions only (a resync at the same version changed nothing).
      if (version !== null && (before === null || version > before)) {
        notify(
          announced && announced.version === version ? announced : { version, kind: 'snapshot', id: '*', op: 'upsert' },
        );
      }
      // Look again shortly when the log was behind an announcement we heard, or unreachable
      // (its connection may come back after the bus's; failing fast costs no I/O while it is away).
      const behind = announced !== null && current < announced.version;
      // A log that stays behind (a publisher that announced and then failed to store) is left to
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
    // Only these can add a token hash to the index (a token created, a user enabled, a republish).
    if (change.kind === 'token' || change.kind === 'user' || change.kind === 'snapshot') forgetUnknown();
    if (version !== null && change.version <= version && change.kind !== 'snapshot') return; // already applied
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
    // Announcements may have been missed while away.
    forgetUnknown();
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

  /** At boot Redis may still be connecting: keep trying until the global part or the deadline. */
  const waitFirst = async (): Promise<void> => {
    const deadline = Date.now() + (options.bootTimeoutMs ?? 5_000);
    while (!closed) {
      await sync();
      if (global || Date.now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, Math.max(1, deadline - Date.now()))));
    }
  };

  function forgetUnknown(): void {
    unknownEpoch += 1;
    unknown.clear();
  }

  const rememberUnknown = (hash: string): void => {
    if (unknownMax <= 0) return;
    unknown.delete(hash);
    // Oldest first: a full map drops the one remembered longest ago (bounded whatever the flood).
    if (unknown.size >= unknownMax) unknown.delete(unknown.keys().next().value as string);
    unknown.set(hash, now() + unknownTtlMs);
  };

  /**
   * A hash not in any held part: remembered unknown (no I/O), else one store read that returns
   * the owner and its part together, so a cold user's first request costs one round trip; the
   * part is held unless a change to that user was logged while the read was in flight (then
   * `loadUser` reads it afresh). One read per hash however many requests present it at once.
   */
  const lookupToken = (hash: string): Promise<string | null> => {
    const until = unknown.get(hash);
    if (until !== undefined) {
      if (until > now()) {
        unknownTokenHits += 1;
        return Promise.resolve(null);
      }
      unknown.delete(hash);
    }
    const inFlight = tokenReads.get(hash);
    if (inFlight !== undefined) return inFlight;
    const epoch = unknownEpoch;
    const resyncs = resyncEpoch;
    const read = (async (): Promise<string | null> => {
      try {
        const found = await store.userByToken(hash);
        if (found === null) {
          if (epoch === unknownEpoch) rememberUnknown(hash);
          return null;
        }
        const { userId, part } = found;
        if (
          part !== null &&
          !users.has(userId) &&
          !loading.has(userId) &&
          !namedDuringTokenReads.has(userId) &&
          resyncs === resyncEpoch
        ) {
          loads += 1;
          hold(userId, part);
        }
        return userId;
      } finally {
        tokenReads.delete(hash);
        if (tokenReads.size === 0) namedDuringTokenReads.clear();
      }
    })();
    tokenReads.set(hash, read);
    return read;
  };

  const loadUser = (userId: string): Promise<UserPart | null> => {
    const held = users.get(userId);
    if (held !== undefined) return Promise.resolve(touch(userId, held));
    const inFlight = loading.get(userId);
    if (inFlight !== undefined) return inFlight;
    const flight = (async (): Promise<UserPart | null> => {
      try {
        // A change to this user logged while the read was in flight may have missed it: read again.
        for (let attempt = 0; ; attempt++) {
          staleLoads.delete(userId);
          const [stored] = await store.getUsers([userId]);
          if (staleLoads.has(userId) && attempt < 3) continue;
          loads += 1;
          if (stored === null || stored === undefined) return null;
          hold(userId, stored);
          return users.get(userId)?.part ?? stored.part;
        }
      } finally {
        loading.delete(userId);
        staleLoads.delete(userId);
      }
    })();
    loading.set(userId, flight);
    return flight;
  };

  const touch = (userId: string, held: Held): UserPart => {
    // Map order is recency: move the user to the end (where the newest entry already is).
    if (held !== newest) {
      users.delete(userId);
      users.set(userId, held);
      newest = held;
    }
    return held.part;
  };

  return {
    async load() {
      // A read in flight may be the one bringing the first parts: let it finish (and notify) first.
      await syncing;
      if (!global) await waitFirst();
      return global !== null;
    },
    global: () => global,
    heldUser(userId) {
      const held = users.get(userId);
      return held === undefined ? undefined : touch(userId, held);
    },
    loadUser,
    heldTokenOwner: (hash) => tokenOwners.get(hash),
    async tokenOwner(hash) {
      return tokenOwners.get(hash) ?? lookupToken(hash);
    },
    async userIdByName(username) {
      return names.get(username) ?? store.userIdByName(username);
    },
    version: () => version,
    createdAt: () => createdAt,
    subscribe(onChange) {
      listeners.add(onChange);
      return () => {
        listeners.delete(onChange);
      };
    },
    connected: () => !closed && bus.connected() && store.connected(),
    status: () => ({
      connected: !closed && bus.connected() && store.connected(),
      version,
      lastSyncAt,
      announcedVersion: announced?.version ?? null,
      behindSince,
      lastError,
      usersHeld: users.size,
      bytesHeld,
      jsonBytesHeld,
      budgetBytes,
      unknownTokensHeld: unknown.size,
      unknownTokenHits,
      loads,
      evictions,
      resyncs,
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
