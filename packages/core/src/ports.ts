import type { GlobalPart, UserPart } from './config-parts';
import type { Snapshot } from './snapshot';
import type { UsageEvent } from './usage-event';

/**
 * The seams between planes. Each has an in-process implementation (all-in-one mode) and a Redis
 * one (cluster mode, packages/bus); the data plane only ever sees these interfaces.
 */

/** Where usage events go: batched DB writes in all-in-one mode, a durable queue in cluster mode. */
export interface UsageSink {
  /** Never throws and never blocks the request path. */
  emit(event: UsageEvent): void;
  /** Resolves once every event emitted so far is durable. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** A change committed by the control plane (docs/architecture.md "Propagation"). */
export interface ConfigChange {
  version: number;
  kind: 'user' | 'token' | 'provider' | 'rotation' | 'autoselect' | 'health' | 'models' | 'snapshot';
  /** Resource id (slug, or user/token id); `*` for whole-snapshot events. */
  id: string;
  op: 'upsert' | 'delete';
  /**
   * Whose config part the change touched (docs/cluster.md "Partitioned propagation"): a user id,
   * or null for the global part. Absent = unknown: the publisher rewrites every part.
   */
  owner?: string | null;
}

/** Source of the config snapshot a data-plane node serves from. */
export interface SnapshotSource {
  /** The newest full snapshot, or null when none is reachable. */
  load(): Promise<Snapshot | null>;
  /** Called with each change announcement; the node re-loads on a gap. Returns unsubscribe. */
  subscribe(onChange: (change: ConfigChange) => void): () => void;
  /** True while the source (Redis) is reachable. */
  connected(): boolean;
  close(): Promise<void>;
}

/**
 * Reads committed config parts from the database (docs/cluster.md "Partitioned propagation"):
 * what the control plane stores after a commit. Implemented over @aisbf/db.
 */
export interface ConfigPartLoader {
  global(): Promise<GlobalPart>;
  /** `part` null: the user does not exist or is disabled. `version`: the config version read. */
  user(userId: string): Promise<{ version: number; createdAt: number; part: UserPart | null }>;
  /**
   * Parts of a page of users in id order (`{after, limit}`; `next` is the following page's
   * `after`, null after the last), or of the users `ids`: a full republish reads in pages.
   */
  users(select: { after: string; limit: number } | { ids: ReadonlyArray<string> }): Promise<{
    version: number;
    createdAt: number;
    parts: Array<{ userId: string; part: UserPart | null }>;
    next: string | null;
  }>;
  /**
   * Whose parts the commits after `version` touched (null = global), with the current version;
   * `owners` null when unknown (every part must be re-stored).
   */
  changedSince(version: number): Promise<{ version: number; createdAt: number; owners: Array<string | null> | null }>;
}

/**
 * What a data-plane node serves from (docs/cluster.md "Partitioned propagation"): the global part
 * always, user parts on demand. Parts are immutable: a change replaces the object, so callers may
 * key derived data (indexes) by part identity.
 */
export interface ConfigParts {
  /** The global part, or null before the first load. */
  global(): GlobalPart | null;
  /** A user part held in memory (marked recently used), or undefined when not held. */
  heldUser(userId: string): UserPart | undefined;
  /**
   * Loads a user part into memory (one flight per user); null when the user does not exist or is
   * disabled. Throws when the store cannot be read (the caller answers 503, never 401).
   */
  loadUser(userId: string): Promise<UserPart | null>;
  /** The owner of a token hash among held parts, without I/O. */
  heldTokenOwner(hash: string): string | undefined;
  /** The owner of a token hash from the store's index; null when no live token has it. */
  tokenOwner(hash: string): Promise<string | null>;
  /** A user id by username: held parts first, else the store's index; null when unknown. */
  userIdByName(username: string): Promise<string | null>;
  /** Highest config version applied, null before the first load. */
  version(): number | null;
  /** Epoch ms the applied version was committed. */
  createdAt(): number | null;
}

/**
 * Cooldowns opened on one node are skipped by every node, and one closed by a successful probe
 * serves again on every node (docs/architecture.md "Rotations", docs/reliability.md "Health").
 */
export interface CooldownSync {
  /** Announce that `key` cools down until epoch ms `until`. Fire-and-forget. */
  publish(key: string, until: number): void;
  /**
   * Announce that an attempt sent at epoch ms `at` succeeded on `key`: a cooldown opened before
   * then is over everywhere. Fire-and-forget.
   */
  publishClose(key: string, at: number): void;
  /**
   * Cooldowns opened by other nodes (and, on subscribe, the currently open ones), and closes
   * announced by other nodes.
   */
  subscribe(onOpen: (key: string, until: number) => void, onClose?: (key: string, at: number) => void): () => void;
  /**
   * Claims the one half-open probe of `key` for the whole cluster for `ttlMs` (the entry's
   * cooldown): only the claim holder sends it; the others keep skipping the entry until the probe's
   * success closes it everywhere (docs/reliability.md "Health"). Absent: every node probes on its own.
   */
  claimProbe?(key: string, ttlMs: number): Promise<ProbeClaim>;
  close(): Promise<void>;
}

/** `heldForMs`: how long another node's claim still runs. */
export type ProbeClaim = { claimed: true } | { claimed: false; heldForMs: number };

/**
 * Entries marked `prefill: true` that refused an assistant prefill once (docs/architecture.md "Mid-stream
 * recovery"): remembered by the whole cluster and across restarts, so no node sends them another.
 */
export interface PrefillRefusals {
  /** Remember that `key` refused a prefill. Fire-and-forget. */
  publish(key: string): void;
  /** Refusals remembered (on subscribe) and those other nodes report later. */
  subscribe(handler: (key: string) => void): () => void;
  close(): Promise<void>;
}

/** How long a prefill refusal is remembered: a model upgraded meanwhile gets another chance. */
export const PREFILL_REFUSAL_TTL_MS = 7 * 24 * 3_600_000;

export interface RateDecision {
  allowed: boolean;
  /** Seconds until a retry may pass, when not allowed. */
  retryAfterS: number;
  limit: number;
  remaining: number;
}

/** One counter of a `RateLimiter.hitAll` call: `hit`'s arguments. */
export interface RateHit {
  key: string;
  limit: number;
  windowS: number;
  amount: number;
}

/** `index`: the first hit that refused, and its decision. */
export type RateVerdict = { allowed: true } | { allowed: false; index: number; decision: RateDecision };

/** Exact-across-nodes limits: per key (`token:<id>`, `user:<id>`) and window. */
export interface RateLimiter {
  /** Count one request (and `tokens` tokens) against `limit` per `windowS`. */
  hit(key: string, limit: number, windowS: number, amount?: number): Promise<RateDecision>;
  /**
   * Several hits on distinct keys as one, each by `hit`'s rule: all pass and all are counted, or
   * none is counted and the first that refuses is named. One Redis script call in cluster mode.
   */
  hitAll(hits: readonly RateHit[]): Promise<RateVerdict>;
  close(): Promise<void>;
}

/** `waitMs`: how long until the key's next request may go. */
export type SpacingClaim = { claimed: true } | { claimed: false; waitMs: number };

/**
 * AISBF's `rate_limit` (docs/context.md "Rate limit"): at most one request per key every
 * `intervalMs`, across the whole cluster. Claiming takes the slot and opens the next one
 * `intervalMs` later; a refused claim takes nothing.
 */
export interface RequestSpacer {
  claim(key: string, intervalMs: number): Promise<SpacingClaim>;
  close(): Promise<void>;
}

/** One counter a request is checked against: e.g. `user:<id>:cost:m:2026-11` (docs/usage.md). */
export interface BudgetLine {
  key: string;
  limit: number;
  /** What this request reserves (1 request, estimated tokens, estimated cost micros). */
  amount: number;
  /** Epoch ms when the counter's window ends (the reset time); the counter expires after it. */
  resetAt: number;
}

export type BudgetVerdict =
  { allowed: true } | { allowed: false; /** Index of the first line that refused. */ line: number; used: number };

/**
 * Quotas and budgets (docs/usage.md): `reserve` checks every line and, only if all pass, adds every
 * amount, in one atomic step (a Lua script in Redis, so N nodes cannot overspend together). A line
 * passes when `used < limit` and `used + amount <= limit`. `settle` applies the difference between
 * the reservation and what the request actually used (may be negative).
 */
export interface BudgetLedger {
  /**
   * The verdict at once when this process decides alone (the memory ledger, a node's leases), else
   * a promise of it: a request reserved from a lease waits for no microtask (docs/benchmarks.md
   * "Bookkeeping per request").
   */
  reserve(lines: readonly BudgetLine[]): BudgetVerdict | Promise<BudgetVerdict>;
  /** Nothing when it is done already (memory, absorbed by leases), else a promise of the write. */
  settle(adjustments: ReadonlyArray<{ key: string; delta: number; resetAt: number }>): void | Promise<void>;
  /** Current value of a counter (0 when absent); for tests and dashboards. */
  used(key: string): Promise<number>;
  close(): Promise<void>;
}
