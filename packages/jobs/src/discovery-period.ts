import type { StoredProvider } from '@aisbf/db';

/**
 * Periodic discovery of a provider in use (docs/jobs.md "Discovery follows use"). Each provider's
 * periods are offset by a phase of its own (a hash of its owner and slug), so the rediscoveries of
 * a steady set of busy providers are spread evenly over `everyMs` instead of falling due together.
 * Pure: time is a parameter.
 */
export interface DiscoveryPeriod {
  /** The period's number (stable for `everyMs` from `startsAt`): part of the job's deduplication id. */
  index: number;
  startsAt: number;
}

/** FNV-1a, 32 bit: a stable, well spread phase per provider; not a security boundary. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export function discoveryPeriod(
  ownerId: string | null,
  providerId: string,
  now: number,
  everyMs: number,
): DiscoveryPeriod {
  const phase = fnv1a(`${ownerId ?? ''}/${providerId}`) % everyMs;
  const index = Math.floor((now + phase) / everyMs);
  return { index, startsAt: index * everyMs - phase };
}

/** Due when none of its models was discovered in the current period (a provider never discovered is due at once). */
export function isDiscoveryDue(provider: StoredProvider, now: number, everyMs: number): boolean {
  if (!provider.enabled) return false;
  const { startsAt } = discoveryPeriod(provider.ownerId, provider.id, now, everyMs);
  let last = -Infinity;
  for (const model of provider.models)
    if (model.discoveredAt !== null && model.discoveredAt > last) last = model.discoveredAt;
  return last < startsAt;
}
