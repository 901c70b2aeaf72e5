/**
 * A node's leases on shared Redis counters (docs/cluster.md "Leases"): a lease is a slice of a
 * counter's allowance this node has already added to the counter in Redis and not used yet, so it
 * can admit from it without asking Redis. Every unit a node admits was counted in Redis first,
 * so nodes together never pass more than the limit; what they may refuse too early is what other
 * nodes hold unused, bounded by the lease size and handed back after `idleMs` without use.
 */
export interface Lease {
  /** The counter's full Redis key (with its window, for windowed counters). */
  redisKey: string;
  /** Units counted in Redis, not yet used by this node. */
  avail: number;
  /** Local time (ms) after which the lease is void (its window or period ended). */
  expiresAt: number;
  /** Local time of the last use, for handing an idle lease back. */
  lastUse: number;
  /** The counter's limit, as last asked for (a refill claims against it). */
  limit: number;
  /** Size of the last claim (about HORIZON_MS of use, never above the cap): a refill goes out at half of it. */
  chunk: number;
  /** A claim of this lease's counter is in flight (one at a time: a burst must not claim N chunks). */
  claiming: boolean;
  claimedAt: number;
  usedSinceClaim: number;
}

/** What `LeaseBook.cover` found, item by item. */
export interface LeaseCover {
  leases: Array<Lease | undefined>;
  covered: boolean[];
  taken: boolean;
}

export interface LeaseBookOptions {
  /** Largest lease, as a fraction of the limit: `limit / divisor` (default 64: ~1.6 %). */
  divisor?: number;
  /** A lease unused this long is handed back (default 1,000 ms). */
  idleMs?: number;
  now?: () => number;
}

/** Most leases a node keeps; past it the idlest are handed back first (bounds memory per tenant count). */
const MAX_LEASES = 10_000;
/** A claim asks for enough for this long at the recent rate of use. */
const HORIZON_MS = 1_000;

export interface LeaseBook {
  now(): number;
  /** The largest lease of a counter with this limit; 0 when the limit is too small to lease. */
  cap(limit: number): number;
  /** The live lease of `id`, if any (a void one is dropped). */
  live(id: string, t: number): Lease | undefined;
  /** Takes `amount` from the live lease when it holds enough: the local decision. */
  take(lease: Lease, amount: number, t: number): boolean;
  /**
   * Each item's live lease and whether it covers the item's `amount` (a peek, amount 0: any unused
   * unit). When every item is covered the amounts are taken at once, all or nothing (`taken`);
   * otherwise nothing is taken and the caller asks Redis for the rest.
   */
  cover<T extends { amount: number }>(items: readonly T[], id: (item: T) => string, t: number): LeaseCover;
  /**
   * How much a claim should add beyond the `amount` the request needs (0: a claim is in flight or
   * the limit is too small to lease). A non-zero answer must be followed by `claimEnded`.
   */
  claimSize(id: string, limit: number, amount: number, t: number): number;
  /** The claim size when the live lease of `id` is running low (below half a chunk), else 0; as `claimSize`. */
  refillSize(id: string, t: number): number;
  /** Records what a claim granted; returns what the book could not hold (to hand back). */
  granted(
    id: string,
    grant: { redisKey: string; amount: number; expiresAt: number; limit: number; claimed: number },
    t: number,
  ): number;
  /** A claim that asked for `extra` ended (granted or not): the next may go. */
  claimEnded(id: string): void;
  /** Leases to hand back now: unused for `idleMs`, or beyond the cap after credits. Removes them from the book. */
  due(t: number): Array<{ redisKey: string; amount: number; expiresAt: number }>;
  /** Every lease, removed from the book (on close). */
  drain(): Array<{ redisKey: string; amount: number; expiresAt: number }>;
  size(): number;
}

export function createLeaseBook(options: LeaseBookOptions = {}): LeaseBook {
  const divisor = options.divisor ?? 64;
  const idleMs = options.idleMs ?? 1_000;
  const now = options.now ?? (() => performance.now());
  const leases = new Map<string, Lease>();
  /** Ids with a claim in flight but no lease yet. */
  const pending = new Set<string>();
  const cap = (limit: number): number => {
    // An accounting add (no real limit, e.g. tokens charged after the answer) claims nothing.
    if (!(limit < Number.MAX_SAFE_INTEGER)) return 0;
    const c = Math.floor(limit / divisor);
    return c >= 2 ? c : 0;
  };
  const live = (id: string, t: number): Lease | undefined => {
    const lease = leases.get(id);
    if (lease === undefined) return undefined;
    if (lease.expiresAt > t) return lease;
    leases.delete(id);
    return undefined;
  };
  const take = (lease: Lease, amount: number, t: number): boolean => {
    // A peek (amount 0) passes on any unused unit: the counter then holds less than the limit.
    if (amount === 0 ? lease.avail <= 0 : lease.avail < amount) return false;
    lease.avail -= amount;
    lease.lastUse = t;
    lease.usedSinceClaim += amount;
    return true;
  };
  return {
    now,
    cap,
    live,
    take,
    cover(items, id, t) {
      const held: Array<Lease | undefined> = [];
      const covered: boolean[] = [];
      let all = true;
      for (const item of items) {
        const lease = live(id(item), t);
        const c = lease !== undefined && (item.amount === 0 ? lease.avail > 0 : lease.avail >= item.amount);
        held.push(lease);
        covered.push(c);
        all &&= c;
      }
      if (all) for (let i = 0; i < items.length; i++) take(held[i]!, items[i]!.amount, t);
      return { leases: held, covered, taken: all };
    },
    claimSize(id, limit, amount, t) {
      const max = cap(limit);
      if (max === 0 || pending.has(id)) return 0;
      const lease = this.live(id, t);
      if (lease?.claiming === true) return 0;
      // A first claim: a few requests' worth; later ones: enough for HORIZON_MS at the recent rate.
      let size = Math.max(2, 4 * amount);
      if (lease !== undefined) {
        const elapsed = Math.max(1, t - lease.claimedAt);
        size = Math.max(size, Math.ceil((lease.usedSinceClaim / elapsed) * HORIZON_MS));
        lease.claiming = true;
      } else pending.add(id);
      return Math.min(max, size);
    },
    refillSize(id, t) {
      const lease = this.live(id, t);
      if (lease === undefined || lease.claiming || 2 * lease.avail >= lease.chunk) return 0;
      return this.claimSize(id, lease.limit, 0, t);
    },
    granted(id, grant, t) {
      let lease = leases.get(id);
      if (lease !== undefined && (lease.redisKey !== grant.redisKey || lease.expiresAt <= t)) {
        leases.delete(id);
        lease = undefined;
      }
      if (lease === undefined) {
        if (grant.amount <= 0) return 0;
        // Full book: the grant goes straight back rather than sit counted and unheld.
        if (leases.size >= MAX_LEASES) return grant.amount;
        lease = {
          redisKey: grant.redisKey,
          avail: 0,
          expiresAt: grant.expiresAt,
          lastUse: t,
          limit: grant.limit,
          chunk: 2,
          claiming: false,
          claimedAt: t,
          usedSinceClaim: 0,
        };
        leases.set(id, lease);
      }
      lease.avail += grant.amount;
      lease.expiresAt = Math.min(lease.expiresAt, grant.expiresAt);
      lease.limit = grant.limit;
      lease.chunk = Math.min(cap(grant.limit), Math.max(2, grant.claimed));
      lease.claimedAt = t;
      lease.usedSinceClaim = 0;
      return 0;
    },
    claimEnded(id) {
      pending.delete(id);
      const lease = leases.get(id);
      if (lease !== undefined) lease.claiming = false;
    },
    due(t) {
      const out: Array<{ redisKey: string; amount: number; expiresAt: number }> = [];
      for (const [id, lease] of leases) {
        if (lease.expiresAt <= t) {
          // The window or period ended: its counter no longer limits anything.
          leases.delete(id);
          continue;
        }
        if (lease.claiming) continue;
        if (t - lease.lastUse >= idleMs) {
          leases.delete(id);
          if (lease.avail > 0) out.push({ redisKey: lease.redisKey, amount: lease.avail, expiresAt: lease.expiresAt });
          continue;
        }
        // Settlements that used less than reserved credit the lease; keep it within two chunks.
        const keep = 2 * Math.max(2, lease.chunk);
        if (lease.avail > keep) {
          out.push({ redisKey: lease.redisKey, amount: lease.avail - keep, expiresAt: lease.expiresAt });
          lease.avail = keep;
        }
      }
      return out;
    },
    drain() {
      const out = [...leases.values()]
        .filter((l) => l.avail > 0)
        .map((l) => ({ redisKey: l.redisKey, amount: l.avail, expiresAt: l.expiresAt }));
      leases.clear();
      pending.clear();
      return out;
    },
    size: () => leases.size,
  };
}
