import { randomBytes } from 'node:crypto';
import type { ConfigChange, Snapshot } from '@aisbf/core';
import { testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bus } from './bus';
import { createBusPartSource, HEAP_BYTES_PER_PART_CHAR, type ManagedPartSource } from './bus-part-source';
import { createMemoryBus } from './memory-bus';
import { createPartPublisher, type PartPublisher } from './part-publisher';
import { createMemoryPartStore, type PartStore } from './part-store';
import { createRedisBus } from './redis-bus';
import { createRedisPartSource } from './redis-part-source';
import { createRedisPartStore } from './redis-part-store';
import { buildSnapshot } from './test-support/build-snapshot';
import { snapshotLoader, type LoggedChange } from './test-support/snapshot-loader';
import { configChangedTopic } from './topics';
import { killRedisClients, startTcpProxy, waitFor } from './test-support/tcp-proxy';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A control plane over a "database" (a snapshot the test edits) and a publisher. */
interface ControlPlane {
  db: { snapshot: Snapshot };
  loader: ReturnType<typeof snapshotLoader>;
  /** Bumps the version, lets `edit` change the snapshot, publishes. */
  commit(change: Omit<ConfigChange, 'version'>, edit?: (s: Snapshot) => void): Promise<number>;
  /** A commit whose publish never happened (the control plane stopped right after it). */
  commitUnpublished(owner: string | null | undefined, edit: (s: Snapshot) => void): number;
  /** A control plane booting again on the same database and store (its own loader, counting reads). */
  reboot(options?: { pageSize?: number }): { publisher: PartPublisher; loader: ReturnType<typeof snapshotLoader> };
  publisher: PartPublisher;
  store: PartStore;
}

interface Cluster {
  control: ControlPlane;
  /**
   * A node on the cluster's bus, or (`deaf`) one that hears no announcement at all. `counted`:
   * its reads of the store are counted (by method name) in the object given.
   */
  node(options?: NodeOptions): ManagedPartSource;
}

interface NodeOptions {
  budgetBytes?: number;
  deaf?: boolean;
  counted?: Record<string, number>;
  unknownTokens?: { max?: number; ttlMs?: number };
  /** The node's clock (createBusPartSource's `now`); only nodes built on createBusPartSource take it. */
  now?: () => number;
}

/** The store, each method call counted in `counts` under its name. */
const countedStore = (store: PartStore, counts: Record<string, number>): PartStore =>
  new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function' || typeof name !== 'string') return value;
      return (...args: unknown[]) => {
        counts[name] = (counts[name] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });

const sourceOptions = (options: NodeOptions) => ({
  ...(options.budgetBytes ? { budgetBytes: options.budgetBytes } : {}),
  ...(options.unknownTokens ? { unknownTokens: options.unknownTokens } : {}),
  ...(options.now ? { now: options.now } : {}),
});

function controlPlane(bus: Bus, store: PartStore): ControlPlane {
  const db = { snapshot: buildSnapshot(0) };
  // What the database records with each commit: whose part it touched (config_changes).
  const changes: LoggedChange[] = [];
  const loader = snapshotLoader(
    () => db.snapshot,
    () => changes,
  );
  // The test decides when to republish (the recovery tests cover republish on reconnect).
  const publisher = createPartPublisher({ bus, store, load: loader, republishOnReconnect: false });
  closers.push(() => publisher.close());
  const bump = (owner: string | null | undefined, edit?: (s: Snapshot) => void): number => {
    const next = structuredClone(db.snapshot);
    next.version += 1;
    next.createdAt += 1;
    edit?.(next);
    db.snapshot = next;
    changes.push({ version: next.version, owner });
    return next.version;
  };
  return {
    db,
    loader,
    publisher,
    store,
    async commit(change, edit) {
      const version = bump(change.kind === 'snapshot' ? undefined : change.owner, edit);
      await publisher.publish({ ...change, version });
      return version;
    },
    commitUnpublished: (owner, edit) => bump(owner, edit),
    reboot(options = {}) {
      const fresh = snapshotLoader(
        () => db.snapshot,
        () => changes,
      );
      const next = createPartPublisher({ bus, store, load: fresh, republishOnReconnect: false, ...options });
      closers.push(() => next.close());
      return { publisher: next, loader: fresh };
    },
  };
}

const deafNode = (store: PartStore, budgetBytes?: number): ManagedPartSource => {
  const bus = createMemoryBus();
  const source = createBusPartSource({ bus, store, pollMs: 0, ...(budgetBytes ? { budgetBytes } : {}) });
  closers.push(async () => {
    await source.close();
    await bus.close();
  });
  return source;
};

const clusters: Array<{ name: string; make(logLength?: number): Cluster }> = [
  {
    name: 'memory',
    make(logLength) {
      const bus = createMemoryBus();
      const store = createMemoryPartStore(logLength ? { logLength } : {});
      closers.push(() => bus.close());
      return {
        control: controlPlane(bus, store),
        node(options = {}) {
          if (options.deaf) return deafNode(store, options.budgetBytes);
          const source = createBusPartSource({
            bus,
            store: options.counted ? countedStore(store, options.counted) : store,
            pollMs: 0,
            ...sourceOptions(options),
          });
          closers.push(() => source.close());
          return source;
        },
      };
    },
  },
  {
    name: 'redis',
    make(logLength) {
      const prefix = testRedisPrefix('parts');
      const bus = createRedisBus({ url: testRedisUrl(), prefix, name: 'test-cp' });
      const store = createRedisPartStore({ url: testRedisUrl(), prefix, ...(logLength ? { logLength } : {}) });
      closers.push(
        () => bus.close(),
        () => store.close(),
      );
      return {
        control: controlPlane(bus, store),
        node(options = {}) {
          if (options.deaf) return deafNode(store, options.budgetBytes);
          const counted = options.counted;
          if (counted) {
            // The Redis node's own store and bus, with its store reads counted.
            const nodeBus = createRedisBus({ url: testRedisUrl(), prefix, name: 'test-dp' });
            const nodeStore = createRedisPartStore({ url: testRedisUrl(), prefix, name: 'test-dp-parts' });
            const source = createBusPartSource({
              bus: nodeBus,
              store: countedStore(nodeStore, counted),
              pollMs: 200,
              ...sourceOptions(options),
              onClose: async () => {
                await Promise.all([nodeBus.close(), nodeStore.close()]);
              },
            });
            closers.push(() => source.close());
            return source;
          }
          const source = createRedisPartSource({
            url: testRedisUrl(),
            prefix,
            pollMs: 200,
            ...sourceOptions(options),
          });
          closers.push(() => source.close());
          return source;
        },
      };
    },
  },
];

const hashOf = (snapshot: Snapshot, tokenId: string): string => snapshot.tokens.find((t) => t.id === tokenId)!.hash;

describe.each(clusters)('partitioned propagation: $name', ({ make }) => {
  it('two nodes converge on every change, in version order', async () => {
    const { control, node } = make();
    await control.commit({ kind: 'snapshot', id: '*', op: 'upsert' });
    const a = node();
    const b = node();
    expect(await a.load()).toBe(true);
    expect(await b.load()).toBe(true);
    expect(a.version()).toBe(1);
    const seenA: number[] = [];
    const seenB: number[] = [];
    a.subscribe((c) => seenA.push(c.version));
    b.subscribe((c) => seenB.push(c.version));
    for (let i = 0; i < 10; i++)
      await control.commit({ kind: 'rotation', id: `r${i}`, op: 'upsert', owner: null }, (s) => {
        s.rotations[0]!.config.model_name = `v${s.version}`;
      });
    // Subscribers are told after the batch is applied: wait for the telling, not just the version.
    await waitFor(() => seenA.at(-1) === 11 && seenB.at(-1) === 11, 3_000, 'convergence');
    expect(a.global()?.rotations[0]?.config.model_name).toBe('v11');
    // Versions only ever go forward; a burst may be collapsed into fewer, newer steps.
    for (const seen of [seenA, seenB]) {
      expect(seen.at(-1)).toBe(11);
      expect([...seen].sort((x, y) => x - y)).toEqual(seen);
      expect(new Set(seen).size).toBe(seen.length);
    }
  });

  it('boots on the global part alone and loads a user part on first use, once for concurrent callers', async () => {
    const { control, node } = make();
    await control.commit({ kind: 'snapshot', id: '*', op: 'upsert' });
    const a = node();
    await a.load();
    expect(a.status().usersHeld).toBe(0);
    expect(a.heldUser('u1')).toBeUndefined();
    const parts = await Promise.all(Array.from({ length: 10 }, () => a.loadUser('u1')));
    expect(new Set(parts).size).toBe(1);
    expect(parts[0]?.user.username).toBe('user1');
    expect(a.status()).toMatchObject({ usersHeld: 1, loads: 1 });
    expect(a.heldUser('u1')).toBe(parts[0]);
    expect(await a.loadUser('nobody')).toBeNull();
    // A cold token's owner comes from the store's index; a held one's without I/O.
    expect(await a.tokenOwner(hashOf(control.db.snapshot, 't2'))).toBe('u2');
    expect(a.heldTokenOwner(hashOf(control.db.snapshot, 't1'))).toBe('u1');
    expect(await a.userIdByName('user2')).toBe('u2');
    expect(await a.tokenOwner('f'.repeat(64))).toBeNull();
  });

  it('a commit to one user stores that part only; a node holding it sees the change in its subscriber', async () => {
    const { control, node } = make();
    await control.commit({ kind: 'snapshot', id: '*', op: 'upsert' });
    const a = node();
    await a.load();
    await a.loadUser('u1');
    const before = { ...control.loader.reads };
    const revoked = hashOf(control.db.snapshot, 't1');
    const got: Array<[ConfigChange, boolean]> = [];
    a.subscribe((c) => got.push([c, a.heldUser('u1')?.tokens.some((t) => t.id === 't1') ?? true]));
    await control.commit({ kind: 'token', id: 't1', op: 'delete', owner: 'u1' }, (s) => {
      s.tokens = s.tokens.filter((t) => t.id !== 't1');
    });
    expect(control.loader.reads).toEqual({ ...before, user: before.user + 1 });
    await waitFor(() => got.length === 1, 3_000, 'change');
    expect(got[0]).toEqual([{ version: 2, kind: 'token', id: 't1', op: 'delete', owner: 'u1' }, false]);
    expect(a.heldTokenOwner(revoked)).toBeUndefined();
    // A node that never held the user finds the token gone from the index at once.
    const b = node();
    await b.load();
    expect(await b.tokenOwner(revoked)).toBeNull();
  });

  it('a deleted user is dropped from the node and from the indexes', async () => {
    const { control, node } = make();
    await control.commit({ kind: 'snapshot', id: '*', op: 'upsert' });
    const a = node();
    await a.load();
    await a.loadUser('u2');
    const hash = hashOf(control.db.snapshot, 't2');
    await control.commit({ kind: 'user', id: 'u2', op: 'delete', owner: 'u2' }, (s) => {
      s.users = s.users.filter((u) => u.id !== 'u2');
      s.tokens = s.tokens.filter((t) => t.userId !== 'u2');
    });
    await waitFor(() => a.heldUser('u2') === undefined, 3_000, 'dropped');
    expect(await a.tokenOwner(hash)).toBeNull();
    expect(await a.userIdByName('user2')).toBeNull();
    expect(await a.loadUser('u2')).toBeNull();
  });

  it('ignores an announcement older than what it serves, and the store never goes back', async () => {
    const { control, node } = make();
    for (let i = 0; i < 5; i++) await control.commit({ kind: 'snapshot', id: '*', op: 'upsert' });
    const a = node();
    await a.load();
    expect(a.version()).toBe(5);
    const seen: number[] = [];
    a.subscribe((c) => seen.push(c.version));
    await control.publisher.publish({ version: 3, kind: 'user', id: 'u1', op: 'upsert', owner: 'u1' });
    await a.refresh();
    expect(seen).toEqual([]);
    expect(a.version()).toBe(5);
    expect(await control.store.put(buildSnapshot(4))).toBe(false);
    expect((await control.store.getGlobal())?.part.version).toBe(5);
  });

  it('keeps recently used user parts within the byte budget, evicting the least recently used', async () => {
    const { control, node } = make();
    await control.commit({ kind: 'snapshot', id: '*', op: 'upsert' }, (s) => {
      const big = buildSnapshot(s.version, { users: 10 });
      s.users = big.users;
      s.tokens = big.tokens;
    });
    const probe = node();
    await probe.load();
    // u2…u9 own the same things (two tokens each): parts of one size.
    await probe.loadUser('u2');
    const onePart = probe.status().bytesHeld;
    const a = node({ budgetBytes: onePart * 3 + 10 });
    await a.load();
    for (const id of ['u2', 'u3', 'u4']) await a.loadUser(id);
    a.heldUser('u2'); // most recently used now: u3 is the oldest
    await a.loadUser('u5');
    expect(a.heldUser('u3')).toBeUndefined();
    expect(a.heldUser('u2')).toBeDefined();
    expect(a.status()).toMatchObject({ usersHeld: 3, evictions: 1 });
    // Order now u4, u5, u2. The one used last, used again, stays last; the one before it is next out.
    a.heldUser('u4');
    a.heldUser('u4');
    a.heldUser('u2');
    a.heldUser('u2');
    await a.loadUser('u6');
    expect(a.heldUser('u5')).toBeUndefined();
    expect(a.heldUser('u4')).toBeDefined();
    expect(a.heldUser('u2')).toBeDefined();
    expect(a.status().bytesHeld).toBeLessThanOrEqual(a.status().budgetBytes);
  });

  it('the budget counts each part at its estimated heap cost and holds after loading more parts than fit', async () => {
    const { control, node } = make();
    await control.commit({ kind: 'snapshot', id: '*', op: 'upsert' }, (s) => {
      const big = buildSnapshot(s.version, { users: 20 });
      s.users = big.users;
      s.tokens = big.tokens;
    });
    const probe = node();
    await probe.load();
    await probe.loadUser('u2');
    const one = probe.status();
    // What the budget counts is the JSON size times the measured heap factor, not the JSON size.
    expect(one.bytesHeld).toBe(Math.ceil(one.jsonBytesHeld * HEAP_BYTES_PER_PART_CHAR));
    const budgetBytes = one.bytesHeld * 5;
    const a = node({ budgetBytes });
    await a.load();
    let peak = 0;
    for (let i = 1; i < 20; i++) {
      await a.loadUser(`u${i}`);
      peak = Math.max(peak, a.status().bytesHeld);
    }
    const status = a.status();
    expect(status.usersHeld).toBeLessThanOrEqual(5);
    expect(status.evictions).toBeGreaterThanOrEqual(14);
    expect(peak).toBeLessThanOrEqual(budgetBytes);
    expect(status.jsonBytesHeld * HEAP_BYTES_PER_PART_CHAR).toBeLessThanOrEqual(budgetBytes);
    // The last user loaded is held; the first ones went.
    expect(a.heldUser('u19')).toBeDefined();
    expect(a.heldUser('u1')).toBeUndefined();
  });

  it("a cold user's token read brings its part along: one store read, then no I/O", async () => {
    const { control, node } = make();
    await control.commit({ kind: 'snapshot', id: '*', op: 'upsert' });
    const counted: Record<string, number> = {};
    const a = node({ counted });
    await a.load();
    const hash = hashOf(control.db.snapshot, 't1');
    expect(await Promise.all([a.tokenOwner(hash), a.tokenOwner(hash)])).toEqual(['u1', 'u1']);
    expect(a.heldTokenOwner(hash)).toBe('u1');
    expect(a.heldUser('u1')?.user.username).toBe('user1');
    expect(await a.loadUser('u1')).toBe(a.heldUser('u1'));
    expect(counted).toMatchObject({ userByToken: 1 });
    expect(counted['getUsers'] ?? 0).toBe(0);
    expect(counted['tokenOwner'] ?? 0).toBe(0);
    expect(a.status()).toMatchObject({ usersHeld: 1, loads: 1 });
  });

  it('unknown tokens: a flood costs one store read per hash, bounded and short-lived; a token registered later works once the node hears of it', async () => {
    const { control, node } = make();
    await control.commit({ kind: 'snapshot', id: '*', op: 'upsert' });
    const counted: Record<string, number> = {};
    const a = node({ counted });
    const b = node();
    await Promise.all([a.load(), b.load()]);
    // A token not registered yet (an AISBF_ADMIN_TOKEN a script tries before the control plane
    // registered it): unknown on both nodes, and remembered.
    const early = 'e'.repeat(64);
    for (let round = 0; round < 3; round++)
      expect(await Promise.all(Array.from({ length: 100 }, () => a.tokenOwner(early)))).toEqual(
        Array.from({ length: 100 }, () => null),
      );
    expect(await b.tokenOwner(early)).toBeNull();
    expect(counted['userByToken']).toBe(1);
    expect(a.status()).toMatchObject({ unknownTokensHeld: 1, unknownTokenHits: 200 });
    // Registered for u1: both nodes serve it as soon as they have heard of the change.
    const version = await control.commit({ kind: 'token', id: 'early', op: 'upsert', owner: 'u1' }, (s) => {
      s.tokens.push({ id: 'early', userId: 'u1', name: 'early', hash: early, expiresAt: null });
    });
    await waitFor(() => a.version() === version && b.version() === version, 3_000, 'change heard');
    expect(await a.tokenOwner(early)).toBe('u1');
    expect(await b.tokenOwner(early)).toBe('u1');
    expect(a.status().unknownTokensHeld).toBe(0);
    // Bounded: 30 distinct bad hashes leave at most `max` remembered, the newest ones.
    const small = node({ unknownTokens: { max: 10, ttlMs: 60_000 } });
    await small.load();
    const bad = (i: number): string => `${i}`.padStart(64, 'b');
    for (let i = 0; i < 30; i++) expect(await small.tokenOwner(bad(i))).toBeNull();
    expect(small.status().unknownTokensHeld).toBe(10);
    await small.tokenOwner(bad(29));
    expect(small.status().unknownTokenHits).toBe(1);
    await small.tokenOwner(bad(0));
    expect(small.status().unknownTokenHits).toBe(1);
    // Short-lived: past the TTL the store is asked again (the node's clock is the test's).
    const brief: Record<string, number> = {};
    let clock = Date.now();
    const c = node({ counted: brief, unknownTokens: { ttlMs: 30 }, now: () => clock });
    await c.load();
    await c.tokenOwner(early.replaceAll('e', 'd'));
    clock += 29;
    await c.tokenOwner(early.replaceAll('e', 'd'));
    expect(brief['userByToken']).toBe(1);
    clock += 1;
    await c.tokenOwner(early.replaceAll('e', 'd'));
    expect(brief['userByToken']).toBe(2);
  });

  it('a node that missed more changes than the log keeps reloads what it holds, and catches up from the log otherwise', async () => {
    const { control, node } = make(5);
    await control.commit({ kind: 'snapshot', id: '*', op: 'upsert' });
    const deaf = node({ deaf: true });
    await deaf.load();
    await deaf.loadUser('u1');
    // Two missed changes: within the log, no full resync.
    for (let i = 0; i < 2; i++)
      await control.commit({ kind: 'user', id: 'u1', op: 'upsert', owner: 'u1' }, (s) => {
        s.users[1]!.limits = { requestsPerMinute: s.version };
      });
    await deaf.refresh();
    expect(deaf.heldUser('u1')?.user.limits).toEqual({ requestsPerMinute: 3 });
    expect(deaf.status().resyncs).toBe(0);
    // Many more than the log keeps: the node notices the gap and re-reads what it holds.
    for (let i = 0; i < 120; i++)
      await control.commit({ kind: 'user', id: 'u1', op: 'upsert', owner: 'u1' }, (s) => {
        s.users[1]!.limits = { requestsPerMinute: s.version };
      });
    await deaf.refresh();
    expect(deaf.status().resyncs).toBe(1);
    expect(deaf.heldUser('u1')?.user.limits).toEqual({ requestsPerMinute: 123 });
    expect(deaf.version()).toBe(123);
  });
});

describe.each(clusters)('control-plane boot: $name', ({ make }) => {
  it('a boot re-stores only the parts changed since the stored version; the others are not read or rewritten', async () => {
    const { control } = make();
    // The full republish of that commit left the marker at its version: nothing to redo.
    await control.commit({ kind: 'snapshot', id: '*', op: 'upsert' });
    expect(await control.publisher.republish()).toEqual({ mode: 'changed', version: 1, parts: 0, wrote: false });
    await control.commit({ kind: 'user', id: 'u1', op: 'upsert', owner: 'u1' }, (s) => {
      s.users[1]!.limits = { requestsPerMinute: 5 };
    });
    // Committed, never published: the control plane stopped before storing it.
    const lost = control.commitUnpublished('u2', (s) => {
      s.users[2]!.limits = { requestsPerMinute: 9 };
    });
    const before = await control.store.head();

    const boot = control.reboot();
    expect(await boot.publisher.republish()).toEqual({ mode: 'changed', version: lost, parts: 2, wrote: true });
    // Two user parts read by id: no page of users, no global part, no whole snapshot.
    expect(boot.loader.reads).toEqual({ global: 0, user: 2, users: 0, changedSince: 1 });
    expect((await control.store.getUsers(['u2']))[0]?.part.user.limits).toEqual({ requestsPerMinute: 9 });
    // The parts changed since the marker are re-read at the current version; the others (u0,
    // the global part) are neither read nor rewritten.
    const entries = await control.store.readLog(before!.id, 100);
    expect(entries.map((e) => e.part)).toEqual(['user:u1', 'user:u2']);
    expect((await control.store.getUsers(['u0']))[0]?.part.version).toBe(1);
    expect((await control.store.getGlobal())?.part.version).toBe(1);

    // Nothing committed since: a second boot reads no part and writes nothing.
    const again = control.reboot();
    expect(await again.publisher.republish()).toEqual({ mode: 'changed', version: lost, parts: 0, wrote: false });
    expect(again.loader.reads).toEqual({ global: 0, user: 0, users: 0, changedSince: 1 });
    expect((await control.store.head())?.id).toBe(entries.at(-1)!.id);
  });

  it('more changed users than a page: read by id in pages, closed by one resync entry', async () => {
    const { control } = make();
    await control.commit({ kind: 'snapshot', id: '*', op: 'upsert' });
    for (const [i, owner] of ['u0', 'u1', 'u2'].entries())
      control.commitUnpublished(owner, (s) => {
        s.users[i]!.limits = { requestsPerMinute: 10 + i };
      });
    control.commitUnpublished(null, () => undefined);
    const before = await control.store.head();
    const boot = control.reboot({ pageSize: 2 });
    expect(await boot.publisher.republish()).toEqual({ mode: 'changed', version: 5, parts: 4, wrote: true });
    expect(boot.loader.reads).toEqual({ global: 1, user: 0, users: 2, changedSince: 1 });
    const users = await control.store.getUsers(['u0', 'u1', 'u2']);
    expect(users.map((u) => u?.part.user.limits)).toEqual([10, 11, 12].map((n) => ({ requestsPerMinute: n })));
    // The global part's own entry, then one `*`: nodes re-read what they hold.
    expect((await control.store.readLog(before!.id, 100)).map((e) => e.part)).toEqual(['global', '*']);
  });

  it('a commit that named no owner makes the next boot re-store every part, in pages', async () => {
    const { control } = make();
    await control.commit({ kind: 'snapshot', id: '*', op: 'upsert' });
    await control.publisher.republish();
    // An older writer's commit, recorded without its owner, that also deleted u2.
    const unknown = control.commitUnpublished(undefined, (s) => {
      s.users = s.users.filter((u) => u.id !== 'u2');
      s.tokens = s.tokens.filter((t) => t.userId !== 'u2');
    });
    const boot = control.reboot({ pageSize: 2 });
    expect(await boot.publisher.republish()).toEqual({ mode: 'full', version: unknown, parts: 3, wrote: true });
    // u0 and u1 in a full page, then an empty one.
    expect(boot.loader.reads).toMatchObject({ global: 1, users: 2, user: 0 });
    // u2 left the database while no publisher ran: its part and tokens are gone from the store.
    expect((await control.store.getUsers(['u0', 'u1', 'u2'])).map((u) => u?.part.user.id ?? null)).toEqual([
      'u0',
      'u1',
      null,
    ]);
    expect(await control.store.tokenOwner(hashOf(buildSnapshot(0), 't2'))).toBeNull();
    expect((await control.store.head())?.part).toBe('*');
    // And the marker now vouches for that version: the next boot has nothing to do.
    expect(await control.reboot().publisher.republish()).toMatchObject({ mode: 'changed', parts: 0, wrote: false });
  });
});

describe('redis part source recovery', () => {
  const cluster = (): { prefix: string; bus: ReturnType<typeof createRedisBus>; control: ControlPlane } => {
    const prefix = testRedisPrefix('parts');
    const bus = createRedisBus({ url: testRedisUrl(), prefix, name: `test-cp-${randomBytes(3).toString('hex')}` });
    const store = createRedisPartStore({ url: testRedisUrl(), prefix });
    closers.push(
      () => bus.close(),
      () => store.close(),
    );
    return { prefix, bus, control: controlPlane(bus, store) };
  };

  it('picks up a change whose announcement was lost (periodic check)', async () => {
    const { prefix, control } = cluster();
    await control.publisher.republish();
    const source = createRedisPartSource({ url: testRedisUrl(), prefix, pollMs: 100 });
    closers.push(() => source.close());
    await source.load();
    const v = control.db.snapshot.version;
    // Stored, never announced.
    await control.store.write(v + 1, 0, { key: 'global', part: { ...source.global()!, version: v + 1 } });
    await waitFor(() => source.version() === v + 1, 2_000, 'poll catch-up');
  });

  it('re-reads shortly when the log is behind an announcement', async () => {
    const { prefix, bus, control } = cluster();
    await control.publisher.republish();
    const source = createRedisPartSource({ url: testRedisUrl(), prefix, pollMs: 60_000 });
    closers.push(() => source.close());
    await source.load();
    await waitFor(() => source.connected() && bus.connected(), 3_000, 'connected');
    const v = control.db.snapshot.version;
    await bus.publish(configChangedTopic, { version: v + 1, kind: 'user', id: 'u1', op: 'upsert', owner: null });
    await waitFor(() => source.status().behindSince !== null, 3_000, 'announcement heard, log behind it');
    await control.store.write(v + 1, 0, { key: 'global', part: { ...source.global()!, version: v + 1 } });
    await waitFor(() => source.version() === v + 1, 1_500, 'quick re-read (the poll is 60 s)');
    expect(source.status().behindSince).toBeNull();
  });

  it('keeps the parts it holds while Redis is away, reports it, and catches up after', async () => {
    const { prefix, control } = cluster();
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(testRedisUrl()).port || 6379));
    closers.push(() => proxy.close());
    await control.commit({ kind: 'snapshot', id: '*', op: 'upsert' });
    // Long poll: the catch-up below must come from the reconnect, not from the timer.
    const viaProxy = `redis://127.0.0.1:${proxy.port}`;
    const nodes = [0, 1].map(() => createRedisPartSource({ url: viaProxy, prefix, pollMs: 60_000 }));
    for (const n of nodes) closers.push(() => n.close());
    for (const n of nodes) {
      expect(await n.load()).toBe(true);
      await n.loadUser('u1');
    }
    await waitFor(() => nodes.every((n) => n.connected()), 3_000, 'nodes connected');

    proxy.cut();
    await waitFor(() => nodes.every((n) => !n.connected()), 3_000, 'nodes report disconnected');
    await control.commit({ kind: 'provider', id: 'p1', op: 'upsert', owner: null });
    await control.commit({ kind: 'user', id: 'u1', op: 'upsert', owner: 'u1' }, (s) => {
      s.users[1]!.limits = { requestsPerMinute: 7 };
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    for (const n of nodes) {
      expect(n.version()).toBe(1); // still serving the last good parts
      expect(n.heldUser('u1')?.user.username).toBe('user1');
      expect(n.status().connected).toBe(false);
      // A cold user cannot be read: an error (the data plane answers 503), never "no such user".
      await expect(n.loadUser('u2')).rejects.toThrow();
    }
    proxy.restore();
    await waitFor(() => nodes.every((n) => n.version() === 3), 5_000, 'catch-up after reconnect');
    for (const n of nodes) expect(n.heldUser('u1')?.user.limits).toEqual({ requestsPerMinute: 7 });
  });

  it('a node that boots with Redis away has no config (the data plane answers 503)', async () => {
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(testRedisUrl()).port || 6379));
    closers.push(() => proxy.close());
    proxy.cut();
    const source = createRedisPartSource({
      url: `redis://127.0.0.1:${proxy.port}`,
      prefix: testRedisPrefix('parts'),
      bootTimeoutMs: 100,
    });
    closers.push(() => source.close());
    const started = Date.now();
    expect(await source.load()).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(source.connected()).toBe(false);
  });

  it('a boot on a Redis that restarted empty re-stores every part, and a restart during it leaves no marker', async () => {
    const { prefix, control } = cluster();
    const redis = control.store as ReturnType<typeof createRedisPartStore>;
    await control.commit({ kind: 'snapshot', id: '*', op: 'upsert' });
    await control.publisher.republish();
    await control.commit({ kind: 'user', id: 'u1', op: 'upsert', owner: 'u1' });
    const wipe = async (): Promise<void> => {
      const keys = await redis.client.keys(`${prefix}*`);
      if (keys.length > 0) await redis.client.del(...keys);
    };
    await wipe();
    const boot = control.reboot();
    expect(await boot.publisher.republish()).toMatchObject({ mode: 'full', version: 2, parts: 4, wrote: true });
    expect((await redis.getUsers(['u0', 'u1', 'u2'])).every((u) => u?.part.version === 2)).toBe(true);
    expect(await redis.synced()).toBe('v:2');

    // Redis restarts again while the pages are written: the closing compare-and-set finds no claim,
    // so no marker vouches for parts the restart lost, and the next boot republishes in full again.
    await wipe();
    const loader = snapshotLoader(() => control.db.snapshot);
    const users = loader.users.bind(loader);
    loader.users = async (select) => {
      await wipe();
      return users(select);
    };
    const publisher = createPartPublisher({
      bus: createMemoryBus(),
      store: redis,
      load: loader,
      republishOnReconnect: false,
    });
    closers.push(() => publisher.close());
    expect((await publisher.republish()).mode).toBe('full');
    expect(await redis.synced()).toBeNull();
  });

  it('the control plane re-stores every part when Redis comes back empty', async () => {
    const prefix = testRedisPrefix('parts');
    const name = `test-cp-${randomBytes(3).toString('hex')}`;
    const bus = createRedisBus({ url: testRedisUrl(), prefix, name });
    const store = createRedisPartStore({ url: testRedisUrl(), prefix });
    closers.push(
      () => bus.close(),
      () => store.close(),
    );
    const loader = snapshotLoader(() => buildSnapshot(7));
    const publisher = createPartPublisher({ bus, store, load: loader });
    closers.push(() => publisher.close());
    const stored = async (): Promise<boolean> =>
      (await store.getGlobal().catch(() => null))?.part.version === 7 &&
      (await store.tokenOwner(buildSnapshot(7).tokens[1]!.hash).catch(() => null)) === 'u1';
    // The first connect already stores it.
    await waitFor(stored, 3_000, 'stored at connect');
    // Redis restarted without persistence: keys gone, connections dropped.
    const keys = await store.client.keys(`${prefix}*`);
    await store.client.del(...keys);
    expect(await stored()).toBe(false);
    expect(await killRedisClients(store.client, [`${name}-sub`, `${name}-pub`])).toBe(2);
    await waitFor(stored, 5_000, 're-stored after reconnect');
  });
});
