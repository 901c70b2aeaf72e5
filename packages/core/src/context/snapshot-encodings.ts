import { rotationEntries } from '../config/rotation-config.schema';
import type { Snapshot } from '../snapshot';
import { encodingForModel, type TokenEncoding } from './token-encoding';

/**
 * The published tokenizers a snapshot's models use (docs/context.md "Costs"): what a process
 * preloads at boot so the first request needing one is checked, not sent unchecked while it loads.
 */
export function snapshotEncodings(snapshot: Snapshot): TokenEncoding[] {
  const out = new Set<TokenEncoding>();
  const add = (model: string): void => {
    const encoding = encodingForModel(model);
    if (encoding !== null) out.add(encoding);
  };
  for (const provider of snapshot.providers) for (const model of provider.models) add(model.name);
  // A rotation may name a model its provider does not list.
  for (const rotation of snapshot.rotations)
    for (const entry of rotationEntries(rotation.config)) if (entry.kind === 'provider') add(entry.model);
  return [...out].sort();
}
