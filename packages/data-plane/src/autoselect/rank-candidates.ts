import type { AutoselectCandidate } from '@aisbf/core';

/**
 * Candidates in AISBF's `priority` order (lower first); candidates without a priority follow, in
 * the order they are configured (a stable sort keeps declaration order among equals).
 */
export function rankCandidates(candidates: readonly AutoselectCandidate[]): AutoselectCandidate[] {
  const rank = (c: AutoselectCandidate): number => c.priority ?? Number.POSITIVE_INFINITY;
  return [...candidates].sort((a, b) => rank(a) - rank(b));
}

/** `first`, then the fallback, then the ranked candidates; no duplicates; only routes `allowed` passes. */
export function orderRoutes(
  first: string,
  fallback: string,
  ranked: readonly AutoselectCandidate[],
  allowed: (route: string) => boolean,
): string[] {
  const routes: string[] = [];
  for (const route of [first, fallback, ...ranked.map((c) => c.model_id)]) {
    if (!routes.includes(route) && allowed(route)) routes.push(route);
  }
  return routes;
}
