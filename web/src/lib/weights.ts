export type Strategy = 'priority' | 'weighted';

export interface WeightShare {
  /** 0..1 of traffic this entry gets while every entry is available. */
  share: number;
  /** Human text for the form, e.g. "60%" or "tier 1 · 100% of tier". */
  label: string;
}

/**
 * How a rotation spreads traffic (docs/architecture.md "Rotations"): `weighted` splits by weight; `priority`
 * sends everything to the highest weight (equal weights take turns) and lower tiers only serve
 * while every higher entry is unavailable.
 */
export function weightShares(weights: readonly number[], strategy: Strategy): WeightShare[] {
  const clean = weights.map((w) => (Number.isFinite(w) && w > 0 ? w : 0));
  if (strategy === 'weighted') {
    const total = clean.reduce((a, b) => a + b, 0);
    return clean.map((w) => {
      const share = total > 0 ? w / total : 0;
      return { share, label: `${formatPercent(share)}` };
    });
  }
  const tiers = [...new Set(clean)].sort((a, b) => b - a);
  return clean.map((w) => {
    const tier = tiers.indexOf(w) + 1;
    const peers = clean.filter((x) => x === w).length;
    if (tier === 1 && w > 0) {
      const share = 1 / peers;
      return {
        share,
        label: peers === 1 ? `${formatPercent(share)} (primary)` : `${formatPercent(share)} (primary, takes turns)`,
      };
    }
    return { share: 0, label: `0% (backup, tier ${tier})` };
  });
}

export function formatPercent(share: number): string {
  const pct = share * 100;
  return `${pct >= 10 || pct === 0 ? Math.round(pct) : pct.toFixed(1)}%`;
}
