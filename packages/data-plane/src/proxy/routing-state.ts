import { LRUCache } from 'lru-cache';
import type { ClientSignal } from '../http/client-signal';
import {
  CLOSED_COOLDOWN,
  cooldownAvailability,
  reduceCooldown,
  type CooldownAvailability,
  type CooldownEvent,
  type CooldownState,
  type CooldownSync,
  type PrefillRefusals,
  type ProbeClaim,
} from '@aisbf/core';

/**
 * The node-local, mutable side of routing: cooldown states (shared with other nodes through
 * CooldownSync), requests in flight per entry and provider, round-robin turns, and entries that
 * refused an assistant prefill (shared through PrefillRefusals). Everything pure lives in
 * core/routing; this only stores results.
 */
export interface RoutingState {
  availability(key: string, now: number): CooldownAvailability;
  apply(key: string, event: CooldownEvent, now: number): void;
  /**
   * The health job judged the entry (or its provider) unhealthy on evidence from `since`: it is
   * skipped until `since + cooldownMs` at most, then half-open like any cooldown (one live request
   * probes it). Health is a hint, never a second breaker: a mark already applied, or older than
   * the entry's last success on any node, changes nothing.
   */
  noteUnhealthy(key: string, since: number, cooldownMs: number, now: number): void;
  /**
   * Claims the half-open probe of `key` for the cluster (CooldownSync.claimProbe); without a
   * cluster, this node's `probing` flag already makes it the only one.
   */
  claimProbe(key: string, ttlMs: number): Promise<ProbeClaim>;
  /**
   * Another node holds the probe of `key`: skip the entry for `heldForMs` more (its success closes
   * it here at once, through CooldownSync), keeping the opening time so that success still counts.
   */
  deferProbe(key: string, heldForMs: number, now: number): void;
  inflight(key: string): number;
  acquire(key: string): void;
  release(key: string): void;
  nextTurn(route: string): number;
  /**
   * Resolves at the next release of a slot (any entry or provider), after `ms`, or when the client
   * leaves, whichever comes first: a request whose entries are all at their max_concurrency waits
   * here, in arrival order, instead of failing at once.
   */
  waitForSlot(ms: number, signal: ClientSignal): Promise<void>;
  /** Requests waiting for a slot on this node. */
  waiting(): number;
  refusesPrefill(key: string): boolean;
  /** Cooldowns open at `now` (the `aisbf_cooldowns_open` gauge). */
  openCount(now: number): number;
  markRefusesPrefill(key: string): void;
  close(): void;
}

const CLAIMED: ProbeClaim = Object.freeze({ claimed: true });

/** Routes and entries whose turn, health mark and last success a node remembers. */
const TRACKED_KEYS = 50_000;

export function createRoutingState(deps: {
  cooldownSync?: CooldownSync | undefined;
  prefillRefusals?: PrefillRefusals | undefined;
  clock: () => number;
  onOpen?: () => void;
}): RoutingState {
  const cooldowns = new Map<string, CooldownState>();
  const inflight = new Map<string, number>();
  // Keyed by routes and entries of every user this node served: bounded, the least recently used
  // forgotten first (a forgotten turn restarts its rotation's round robin; a forgotten mark or
  // success time only lets an older health mark apply once more).
  const turns = new LRUCache<string, number>({ max: TRACKED_KEYS });
  const prefillRefusals = new Set<string>();
  /** Newest health mark applied, and newest success (sent at), per entry key. */
  const marks = new LRUCache<string, number>({ max: TRACKED_KEYS });
  const lastOk = new LRUCache<string, number>({ max: TRACKED_KEYS });
  /** Waiters for a free slot, in arrival order; every release wakes them all to select again. */
  let slotWaiters: Array<() => void> = [];

  const apply = (key: string, event: CooldownEvent, now: number, publish: boolean): void => {
    if (event.type === 'success' && event.startedAt > (lastOk.get(key) ?? 0)) lastOk.set(key, event.startedAt);
    const before = cooldowns.get(key) ?? CLOSED_COOLDOWN;
    const after = reduceCooldown(before, event, now);
    if (after === before) return;
    if (after === CLOSED_COOLDOWN) cooldowns.delete(key);
    else cooldowns.set(key, after);
    if (!publish) return;
    if (after.openUntil !== null && after.openUntil !== before.openUntil) {
      deps.onOpen?.();
      deps.cooldownSync?.publish(key, after.openUntil);
    }
    // A probe that succeeded closes the entry on every node at once, not one cooldown later.
    if (event.type === 'success' && after === CLOSED_COOLDOWN && before.openUntil !== null)
      deps.cooldownSync?.publishClose(key, event.startedAt);
  };
  const unsubscribe = deps.cooldownSync?.subscribe(
    (key, until) => apply(key, { type: 'remote-open', until }, deps.clock(), false),
    (key, at) => apply(key, { type: 'success', startedAt: at }, deps.clock(), false),
  );
  const unsubscribePrefill = deps.prefillRefusals?.subscribe((key) => prefillRefusals.add(key));

  return {
    availability(key, now) {
      const state = cooldowns.get(key);
      return state === undefined ? { state: 'closed' } : cooldownAvailability(state, now);
    },
    apply(key, event, now) {
      apply(key, event, now, true);
    },
    noteUnhealthy(key, since, cooldownMs, now) {
      if (since <= (marks.get(key) ?? Number.NEGATIVE_INFINITY) || since <= (lastOk.get(key) ?? 0)) return;
      marks.set(key, since);
      // Every node reads the same health board: nothing to announce.
      apply(key, { type: 'remote-open', until: since + cooldownMs, openedAt: since }, now, false);
    },
    claimProbe: (key, ttlMs) => deps.cooldownSync?.claimProbe?.(key, ttlMs) ?? Promise.resolve(CLAIMED),
    deferProbe(key, heldForMs, now) {
      const state = cooldowns.get(key);
      if (state === undefined) return;
      apply(key, { type: 'probe-cancel' }, now, false);
      apply(key, { type: 'remote-open', until: now + heldForMs, openedAt: state.openedAt ?? now }, now, false);
    },
    inflight: (key) => inflight.get(key) ?? 0,
    acquire(key) {
      inflight.set(key, (inflight.get(key) ?? 0) + 1);
    },
    release(key) {
      const n = (inflight.get(key) ?? 0) - 1;
      if (n <= 0) inflight.delete(key);
      else inflight.set(key, n);
      if (slotWaiters.length > 0) {
        const woken = slotWaiters;
        slotWaiters = [];
        for (const wake of woken) wake();
      }
    },
    waitForSlot(ms, signal) {
      return new Promise<void>((resolve) => {
        let done = false;
        const finish = (): void => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          unlisten();
          resolve();
        };
        const timer = setTimeout(finish, Math.max(0, ms));
        const unlisten = signal.onAbort(finish);
        slotWaiters.push(finish);
      });
    },
    waiting: () => slotWaiters.length,
    nextTurn(route) {
      const n = turns.get(route) ?? 0;
      turns.set(route, n + 1 >= Number.MAX_SAFE_INTEGER ? 0 : n + 1);
      return n;
    },
    openCount(now) {
      let n = 0;
      for (const state of cooldowns.values()) if (state.openUntil !== null && state.openUntil > now) n += 1;
      return n;
    },
    refusesPrefill: (key) => prefillRefusals.has(key),
    markRefusesPrefill(key) {
      if (prefillRefusals.has(key)) return;
      prefillRefusals.add(key);
      deps.prefillRefusals?.publish(key);
    },
    close() {
      unsubscribe?.();
      unsubscribePrefill?.();
    },
  };
}
