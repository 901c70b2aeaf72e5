import { formatPath, type ConfigIssue } from './config-issue';
import { autoselectCandidateSchema, autoselectConfigSchema } from './autoselect-config.schema';
import { condensationSchema } from './context-keys.schema';
import { providerModelObjectSchema, providerObjectSchema } from './provider-config.schema';
import {
  entryModelSchema,
  namedEntrySchema,
  rotationConfigSchema,
  rotationEntrySchema,
} from './rotation-config.schema';
import { timeoutsSchema } from './timeouts.schema';

/**
 * Keys a config may hold that no schema lists: the API's camelCase spellings and what an export
 * writes back (a key's hint, the scope), so an exported document re-imports without warnings.
 */
const PROVIDER_EXTRAS = ['apiKey', 'adminOnly', 'api_key_hint', 'apiKeyHint', 'scope', 'health'];

const keysOf = (shape: object, extras: readonly string[] = []): ReadonlySet<string> =>
  new Set([...Object.keys(shape), ...extras]);

const ROTATION = keysOf(rotationConfigSchema.shape, ['id']);
const ROTATION_ENTRY = keysOf(rotationEntrySchema.shape);
const ENTRY_MODEL = keysOf(entryModelSchema.shape);
const NAMED_ENTRY = keysOf(namedEntrySchema.shape);
const PROVIDER = keysOf(providerObjectSchema.shape, PROVIDER_EXTRAS);
const PROVIDER_MODEL = keysOf(providerModelObjectSchema.shape);
const AUTOSELECT = keysOf(autoselectConfigSchema.shape, ['id']);
const CANDIDATE = keysOf(autoselectCandidateSchema.shape);
const RETRY = keysOf(timeoutsSchema.shape.retry.unwrap().shape);
const CONDENSATION = keysOf(condensationSchema.shape);

/** The top level of AISBF's rotations.json, beside `rotations`. */
export const ROTATIONS_DOCUMENT_KEYS: ReadonlySet<string> = new Set([
  'rotations',
  'notifyerrors',
  'notify_on_failover',
]);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Optimal string alignment distance: a swapped pair (`wieght`) counts as one edit. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known key closest to `key`, when it is close enough to be a typo. */
export function suggestKey(key: string, known: Iterable<string>): string | null {
  const lower = key.toLowerCase();
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== null && bestDistance <= Math.max(1, Math.min(3, Math.floor(key.length / 3))) ? best : null;
}

/** One warning per key of `value` that `known` does not hold. */
export function unknownKeys(
  value: unknown,
  known: ReadonlySet<string>,
  path: ReadonlyArray<PropertyKey>,
  out: ConfigIssue[] = [],
): ConfigIssue[] {
  if (!isRecord(value)) return out;
  for (const key of Object.keys(value)) {
    if (known.has(key)) continue;
    const suggestion = suggestKey(key, known);
    out.push({
      path: formatPath([...path, key]),
      message: `unknown key "${key}"${suggestion === null ? '' : ` (did you mean "${suggestion}"?)`}; it is kept but has no effect`,
    });
  }
  return out;
}

const each = (list: unknown, fn: (item: unknown, i: number) => void): void => {
  if (Array.isArray(list)) list.forEach(fn);
};

/**
 * Keys of one config (as written) that aisbf does not know: they are stored, so an AISBF document
 * round-trips, but they change nothing, so the import or save says so (docs/context.md "Keys").
 */
export function unknownKeyWarnings(
  kind: 'provider' | 'rotation' | 'autoselect',
  config: unknown,
  prefix: ReadonlyArray<PropertyKey> = [],
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  if (!isRecord(config)) return out;
  if (kind === 'provider') {
    unknownKeys(config, PROVIDER, prefix, out);
    each(config['models'], (m, i) => unknownKeys(m, PROVIDER_MODEL, [...prefix, 'models', i], out));
    unknownKeys(config['retry'], RETRY, [...prefix, 'retry'], out);
  } else if (kind === 'rotation') {
    unknownKeys(config, ROTATION, prefix, out);
    unknownKeys(config['retry'], RETRY, [...prefix, 'retry'], out);
    unknownKeys(config['condensation'], CONDENSATION, [...prefix, 'condensation'], out);
    each(config['providers'], (entry, i) => {
      const at = [...prefix, 'providers', i];
      unknownKeys(entry, ROTATION_ENTRY, at, out);
      if (isRecord(entry)) each(entry['models'], (m, j) => unknownKeys(m, ENTRY_MODEL, [...at, 'models', j], out));
    });
    each(config['models'], (entry, i) => unknownKeys(entry, NAMED_ENTRY, [...prefix, 'models', i], out));
  } else {
    unknownKeys(config, AUTOSELECT, prefix, out);
    each(config['available_models'], (c, i) => unknownKeys(c, CANDIDATE, [...prefix, 'available_models', i], out));
  }
  return out;
}
