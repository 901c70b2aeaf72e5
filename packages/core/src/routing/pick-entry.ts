/**
 * Rotation pick (docs/architecture.md "Rotations"), pure: the caller passes each entry's current state,
 * a turn counter (round-robin among equal weights) and an rng (weighted strategy).
 */
export type PickStrategy = 'priority' | 'weighted';

export interface PickCandidate {
  weight: number;
  /**
   * `available`: may serve now (closed, or half-open with no probe in flight).
   * `cooling`: open, or half-open with a probe in flight; `recoversAt` says when.
   * `saturated`: its `max_concurrency` is reached.
   * `excluded`: unusable for this request (disabled, unhealthy, already tried, context too small).
   */
  status: 'available' | 'cooling' | 'saturated' | 'excluded';
  /** Epoch ms when a cooling entry may be probed again; absent while its probe is in flight. */
  recoversAt?: number;
}

export type PickResult =
  | { ok: true; index: number; reason: 'available' }
  /** Every usable entry is cooling down: the one that recovers first is tried once (docs/architecture.md "Data plane API"). */
  | { ok: true; index: number; reason: 'earliest-recovery' }
  | { ok: false; reason: 'all-cooling' | 'all-saturated' | 'none-usable'; retryAt: number | null };

export interface PickOptions {
  strategy: PickStrategy;
  /** Monotonic counter for this rotation; equal-weight entries take turns by it. */
  turn: number;
  /** Uniform in [0, 1). */
  random: () => number;
  /** False once the request has used its one earliest-recovery attempt. */
  allowEarliestRecovery: boolean;
}

export function pickEntry(candidates: ReadonlyArray<PickCandidate>, options: PickOptions): PickResult {
  const available: number[] = [];
  for (let i = 0; i < candidates.length; i++) if (candidates[i]!.status === 'available') available.push(i);
  if (available.length > 0) {
    const index =
      options.strategy === 'weighted'
        ? pickWeighted(candidates, available, options.random)
        : pickPriority(candidates, available, options.turn);
    return { ok: true, index, reason: 'available' };
  }
  let earliest = -1;
  let earliestAt = Number.POSITIVE_INFINITY;
  let saturated = false;
  let cooling = false;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    if (c.status === 'saturated') saturated = true;
    if (c.status === 'cooling') cooling = true;
    // Only an entry with a known recovery time is eligible: one whose probe is in flight is not.
    if (c.status === 'cooling' && c.recoversAt !== undefined) {
      const at = c.recoversAt;
      if (earliest < 0 || at < earliestAt) {
        earliest = i;
        earliestAt = at;
      }
    }
  }
  if (earliest >= 0 && options.allowEarliestRecovery && !saturated)
    return { ok: true, index: earliest, reason: 'earliest-recovery' };
  if (saturated) return { ok: false, reason: 'all-saturated', retryAt: null };
  if (cooling) return { ok: false, reason: 'all-cooling', retryAt: earliest >= 0 ? earliestAt : null };
  return { ok: false, reason: 'none-usable', retryAt: null };
}

/** Highest weight tier among the available entries; inside it, round-robin by `turn`. */
function pickPriority(candidates: ReadonlyArray<PickCandidate>, available: number[], turn: number): number {
  let top = Number.NEGATIVE_INFINITY;
  for (const i of available) top = Math.max(top, candidates[i]!.weight);
  const tier = available.filter((i) => candidates[i]!.weight === top);
  const slot = ((turn % tier.length) + tier.length) % tier.length;
  return tier[slot]!;
}

/** Proportional to weight among the available entries; all-zero weights pick uniformly. */
function pickWeighted(candidates: ReadonlyArray<PickCandidate>, available: number[], random: () => number): number {
  let total = 0;
  for (const i of available) total += Math.max(0, candidates[i]!.weight);
  if (total <= 0) return available[Math.min(available.length - 1, Math.floor(random() * available.length))]!;
  let point = random() * total;
  for (const i of available) {
    point -= Math.max(0, candidates[i]!.weight);
    if (point < 0) return i;
  }
  return available[available.length - 1]!;
}
