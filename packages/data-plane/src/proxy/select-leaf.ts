import {
  pickEntry,
  providerModelLimits,
  resolveLimits,
  type ModelLimits,
  type IndexedAutoselect,
  type IndexedEntry,
  type IndexedRotation,
  type PickCandidate,
  type PickResult,
  type ResolvedTimeouts,
  type Resolution,
  type RouteTarget,
} from '@aisbf/core';
import type { RoutingState } from './routing-state';

/** One provider model chosen to receive an attempt, with the knobs of the entry that chose it. */
export interface Leaf {
  target: RouteTarget;
  timeouts: ResolvedTimeouts;
  errorCooldownMs: number;
  allowedFails: number;
  maxConcurrency: number | undefined;
  contextWindow: number | undefined;
  prefill: boolean;
  /** AISBF's context keys resolved for this leaf (docs/context.md "Order of resolution"). */
  limits: ModelLimits;
  /** Picked while half-open or as the earliest-recovering entry: its result settles the cooldown. */
  probe: boolean;
}

/** Provider and model health as the health-check job last judged it (bus `HealthBoard` fits). */
export interface ProviderHealth {
  /** Null while healthy or unknown; else the evidence time of the newer of the model's and its provider's marks. */
  unhealthySince(ownerId: string | null, providerId: string, model: string): number | null;
  /** Every judged level (`model` null: the whole provider), for `/metrics`. */
  current?(): ReadonlyMap<string, { providerId: string; model: string | null; status: string }>;
}

export interface SelectionContext {
  state: RoutingState;
  /**
   * Rotations skip an entry judged unhealthy for at most its error_cooldown, then probe it
   * (docs/architecture.md "Jobs and health", docs/reliability.md "Health"); a direct provider route still tries.
   */
  health?: ProviderHealth | undefined;
  now: number;
  random: () => number;
  /** Target keys this request must not use again (already failed over from). */
  excluded: Set<string>;
  /** After context_length_exceeded: only windows larger than this, or unknown. */
  minContext: number | null;
  /** Mid-stream continuation: only entries that accept an assistant prefill. */
  requirePrefill: boolean;
  /** The one earliest-recovery try of docs/architecture.md "Data plane API" has been used. */
  usedEarliest: boolean;
  /**
   * Whether the caller is an admin: a global rotation may list an `adminOnly` global provider, and
   * its entry serves admins only (plain users get the rotation's other entries).
   */
  callerIsAdmin: boolean;
  /**
   * Autoselect entries of rotations being served in this request (their keys): an autoselect
   * whose candidates lead back to itself is not entered again (a loop is never a hang).
   */
  expanding?: Set<string>;
}

export type Selection =
  | { ok: true; leaf: Leaf; autoselect?: undefined }
  /** A rotation entry that is an autoselect (AISBF meta entry): its decision picks the routes to try. */
  | { ok: true; leaf: null; autoselect: IndexedAutoselect; key: string }
  | { ok: false; reason: 'all-cooling' | 'all-saturated' | 'none-usable'; retryAt: number | null };

/** Autoselects nested in rotations may be entered at most this many times deep in one request. */
export const MAX_AUTOSELECT_NESTING = 4;

/** The `excluded`/`expanding` key of an autoselect entry (never a provider target key: no `|` there). */
export const autoselectKey = (auto: IndexedAutoselect): string => `autoselect:${auto.ownerId ?? '*'}:${auto.id}`;

const DEFAULT_ERROR_COOLDOWN_MS = 60_000;
const DEFAULT_ALLOWED_FAILS = 3;

export function selectLeaf(resolution: Resolution, ctx: SelectionContext): Selection {
  if (resolution.kind === 'autoselect') return { ok: false, reason: 'none-usable', retryAt: null };
  if (resolution.kind === 'provider') {
    const leaf: Leaf = {
      target: resolution.target,
      timeouts: resolution.timeouts,
      errorCooldownMs: DEFAULT_ERROR_COOLDOWN_MS,
      allowedFails: DEFAULT_ALLOWED_FAILS,
      maxConcurrency: undefined,
      contextWindow: resolution.target.modelInfo?.contextWindow ?? resolution.target.provider.limits?.contextSize,
      prefill: resolution.target.modelInfo?.prefill ?? false,
      limits: providerRouteLimits(resolution),
      probe: false,
    };
    if (resolution.problem !== null) return { ok: false, reason: 'none-usable', retryAt: null };
    const candidate = leafCandidate(leaf, ctx);
    const picked = pickEntry([candidate], {
      strategy: 'priority',
      turn: 0,
      random: ctx.random,
      allowEarliestRecovery: !ctx.usedEarliest,
    });
    return finish(picked, () => leaf, ctx);
  }
  return selectInRotation(resolution, ctx);
}

/**
 * A provider route's limits, resolved once per resolution: resolutions are memoised per snapshot
 * (route-resolver.ts) and never changed, so neither are these (docs/benchmarks.md "The request's
 * critical path"). Shared like a rotation entry's indexed limits.
 */
type ProviderResolution = Extract<Resolution, { kind: 'provider' }>;
const limitsOfProviderRoute = new WeakMap<ProviderResolution, ModelLimits>();
function providerRouteLimits(resolution: ProviderResolution): ModelLimits {
  let limits = limitsOfProviderRoute.get(resolution);
  if (limits === undefined) {
    limits = resolveLimits(providerModelLimits(resolution.target.modelInfo), resolution.target.provider.limits);
    limitsOfProviderRoute.set(resolution, limits);
  }
  return limits;
}

function selectInRotation(rotation: IndexedRotation, ctx: SelectionContext): Selection {
  const candidates = rotation.entries.map((e) => entryCandidate(rotation, e, ctx));
  const picked = pickEntry(candidates, {
    strategy: rotation.rotation.config.strategy,
    turn: ctx.state.nextTurn(rotation.route),
    random: ctx.random,
    allowEarliestRecovery: !ctx.usedEarliest,
  });
  if (!picked.ok) return picked;
  const entry = rotation.entries[picked.index]!;
  if (entry.nested !== null && entry.nested.kind === 'rotation') {
    const inner = selectInRotation(entry.nested, ctx);
    if (picked.reason === 'earliest-recovery' && inner.ok && inner.leaf !== null) inner.leaf.probe = true;
    return inner;
  }
  if (entry.nested !== null)
    return { ok: true, leaf: null, autoselect: entry.nested, key: autoselectKey(entry.nested) };
  return finish(picked, () => entryLeaf(rotation, entry), ctx);
}

function finish(picked: PickResult, make: () => Leaf, ctx: SelectionContext): Selection {
  if (!picked.ok) return picked;
  const leaf = make();
  const availability = ctx.state.availability(leaf.target.key, ctx.now);
  if (picked.reason === 'earliest-recovery') {
    ctx.usedEarliest = true;
    leaf.probe = true;
  } else if (availability.state === 'half-open') leaf.probe = true;
  return { ok: true, leaf };
}

function entryLeaf(rotation: IndexedRotation, entry: IndexedEntry): Leaf {
  return {
    target: entry.target!,
    timeouts: entry.timeouts,
    errorCooldownMs: entry.entry.errorCooldownS * 1000,
    allowedFails: entry.entry.allowedFails ?? rotation.rotation.config.allowed_fails,
    maxConcurrency: entry.entry.maxConcurrency,
    contextWindow: entry.contextWindow,
    prefill: entry.prefill,
    limits: entry.limits,
    probe: false,
  };
}

function entryCandidate(rotation: IndexedRotation, entry: IndexedEntry, ctx: SelectionContext): PickCandidate {
  const weight = entry.entry.weight;
  if (entry.problem !== null) return { weight, status: 'excluded' };
  if (entry.nested !== null) {
    // AISBF meta entries: a nested rotation is as available as its best entry; an autoselect is
    // available until its decision's routes failed in this request (then excluded), unless it is
    // being served already further up (a loop) or nested too deep. A mid-stream continuation needs
    // an entry known to take a prefill, which an autoselect's choice is not.
    if (entry.nested.kind === 'autoselect') {
      const key = autoselectKey(entry.nested);
      const expanding = ctx.expanding;
      const blocked =
        ctx.excluded.has(key) ||
        ctx.requirePrefill ||
        (expanding !== undefined && (expanding.has(key) || expanding.size >= MAX_AUTOSELECT_NESTING));
      return { weight, status: blocked ? 'excluded' : 'available' };
    }
    const inner = entry.nested.entries.map((e) => entryCandidate(entry.nested as IndexedRotation, e, ctx));
    return aggregate(weight, inner);
  }
  if (entry.target === null || (adminOnly(entry.target) && !ctx.callerIsAdmin)) return { weight, status: 'excluded' };
  const leaf = entryLeaf(rotation, entry);
  const since = ctx.health?.unhealthySince(entry.target.provider.ownerId, entry.target.provider.id, entry.target.model);
  if (since !== undefined && since !== null)
    ctx.state.noteUnhealthy(entry.target.key, since, leaf.errorCooldownMs, ctx.now);
  return leafCandidate(leaf, ctx, weight);
}

const adminOnly = (target: RouteTarget): boolean => target.provider.ownerId === null && target.provider.adminOnly;

function aggregate(weight: number, inner: PickCandidate[]): PickCandidate {
  let recoversAt = Number.POSITIVE_INFINITY;
  let cooling = false;
  let saturated = false;
  for (const c of inner) {
    if (c.status === 'available') return { weight, status: 'available' };
    if (c.status === 'cooling') {
      cooling = true;
      recoversAt = Math.min(recoversAt, c.recoversAt ?? Number.POSITIVE_INFINITY);
    }
    if (c.status === 'saturated') saturated = true;
  }
  if (saturated) return { weight, status: 'saturated' };
  if (cooling)
    return Number.isFinite(recoversAt) ? { weight, status: 'cooling', recoversAt } : { weight, status: 'cooling' };
  return { weight, status: 'excluded' };
}

function leafCandidate(leaf: Leaf, ctx: SelectionContext, weight = 1): PickCandidate {
  const { target } = leaf;
  if (ctx.excluded.has(target.key) || !target.provider.enabled) return { weight, status: 'excluded' };
  if (ctx.requirePrefill && (!leaf.prefill || ctx.state.refusesPrefill(target.key)))
    return { weight, status: 'excluded' };
  if (ctx.minContext !== null && leaf.contextWindow !== undefined && leaf.contextWindow <= ctx.minContext)
    return { weight, status: 'excluded' };
  const availability = ctx.state.availability(target.key, ctx.now);
  if (availability.state === 'open') return { weight, status: 'cooling', recoversAt: availability.until };
  // A probe is in flight: nobody else tries it (no thundering herd on a recovering backend).
  if (availability.state === 'probing') return { weight, status: 'cooling' };
  if (leaf.maxConcurrency !== undefined && ctx.state.inflight(target.key) >= leaf.maxConcurrency)
    return { weight, status: 'saturated' };
  const providerMax = target.provider.maxConcurrency;
  if (providerMax !== undefined && ctx.state.inflight(target.providerKey) >= providerMax)
    return { weight, status: 'saturated' };
  return { weight, status: 'available' };
}
