import { defaultLimitsOf, type ModelLimits } from '../config/context-keys.schema';
import { rotationEntries } from '../config/rotation-config.schema';
import { indexSnapshot } from '../routing/snapshot-index';
import type { Snapshot } from '../snapshot';
import { providerModelLimits, resolveLimits } from './resolve-limits';
import { encodingForModel, type TokenEncoding } from './token-encoding';

/**
 * The published tokenizers a snapshot needs exact counts from (docs/context.md "Costs"): what a
 * process preloads as a snapshot arrives, so the first request needing one is checked rather than
 * sent unchecked while it loads. A rank table costs tens of MiB of RSS (o200k_base ~64 MiB), so
 * naming a GPT model is not enough: only the window check (and the condensation it leads to) reads
 * a tokenizer on the request path, and it runs only for a leaf with a `context_size` (or a
 * discovered window) or a `max_request_tokens` (docs/context.md "Before sending"). Usage and budget
 * estimates use characters, and `messages/count_tokens` awaits the load, so they need no preload.
 */
export function snapshotEncodings(snapshot: Snapshot): TokenEncoding[] {
  // An autoselect's default window applies to whatever its candidates lead to, and candidates are
  // route names resolved per caller (possibly to a user's own rotation): every model may be checked.
  if (snapshot.autoselects.some((a) => checksWindow(defaultLimitsOf(a.config))))
    return encodingsOf(everyModel(snapshot));
  const checked: string[] = [];
  // Direct `provider/model` routes: the provider's two levels (as select-leaf.ts resolves them).
  for (const provider of snapshot.providers)
    for (const model of provider.models)
      if (checksWindow(resolveLimits(providerModelLimits(model), provider.limits))) checked.push(model.name);
  // Rotation entries: all four levels, resolved in the rotation owner's scope by the index.
  for (const rotation of indexSnapshot(snapshot).rotations.values())
    for (const entry of rotation.entries)
      if (entry.target !== null && entry.problem === null && checksWindow(entry.limits))
        checked.push(entry.target.model);
  return encodingsOf(checked);
}

/** Whether the data plane's window check (window-verdict.ts) counts a prompt for a leaf with these limits. */
const checksWindow = (limits: ModelLimits): boolean =>
  limits.contextSize !== undefined || limits.maxRequestTokens !== undefined;

function* everyModel(snapshot: Snapshot): Iterable<string> {
  for (const provider of snapshot.providers) for (const model of provider.models) yield model.name;
  // A rotation may name a model its provider does not list.
  for (const rotation of snapshot.rotations)
    for (const entry of rotationEntries(rotation.config)) if (entry.kind === 'provider') yield entry.model;
}

function encodingsOf(models: Iterable<string>): TokenEncoding[] {
  const out = new Set<TokenEncoding>();
  for (const model of models) {
    const encoding = encodingForModel(model);
    if (encoding !== null) out.add(encoding);
  }
  return [...out].sort();
}
