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

/**
 * An unknown key whose name says it holds a credential (AISBF's rotation entries carry an
 * `api_key`, a hand-written config may carry a `token`). Unknown keys are stored as written, so such
 * a value would sit in plaintext beside the config and come back in exports: it is dropped instead,
 * and the warning says so. Keys belong on a provider, where they are encrypted (docs/security.md).
 */
export function isCredentialKey(key: string): boolean {
  return /(key|token|secret|password|passwd|authorization|credentials?|bearer)$/.test(
    key.toLowerCase().replace(/[-_]/g, ''),
  );
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
    const fate = isCredentialKey(key)
      ? 'it looks like a credential, so it is not stored (a key belongs on a provider, where it is encrypted)'
      : 'it is kept but has no effect';
    out.push({
      path: formatPath([...path, key]),
      message: `unknown key "${key}"${suggestion === null ? '' : ` (did you mean "${suggestion}"?)`}; ${fate}`,
    });
  }
  return out;
}

const each = (list: unknown, fn: (item: unknown, i: number) => void): void => {
  if (Array.isArray(list)) list.forEach(fn);
};

type Kind = 'provider' | 'rotation' | 'autoselect';
type Visit = (record: unknown, known: ReadonlySet<string>, path: ReadonlyArray<PropertyKey>) => void;

/** Calls `visit` on every object of one config that has a known key set, with that set. */
function walkConfig(
  kind: Kind,
  config: Record<string, unknown>,
  prefix: ReadonlyArray<PropertyKey>,
  visit: Visit,
): void {
  if (kind === 'provider') {
    visit(config, PROVIDER, prefix);
    each(config['models'], (m, i) => visit(m, PROVIDER_MODEL, [...prefix, 'models', i]));
    visit(config['retry'], RETRY, [...prefix, 'retry']);
  } else if (kind === 'rotation') {
    visit(config, ROTATION, prefix);
    visit(config['retry'], RETRY, [...prefix, 'retry']);
    visit(config['condensation'], CONDENSATION, [...prefix, 'condensation']);
    each(config['providers'], (entry, i) => {
      const at = [...prefix, 'providers', i];
      visit(entry, ROTATION_ENTRY, at);
      if (isRecord(entry)) each(entry['models'], (m, j) => visit(m, ENTRY_MODEL, [...at, 'models', j]));
    });
    each(config['models'], (entry, i) => visit(entry, NAMED_ENTRY, [...prefix, 'models', i]));
  } else {
    visit(config, AUTOSELECT, prefix);
    each(config['available_models'], (c, i) => visit(c, CANDIDATE, [...prefix, 'available_models', i]));
  }
}

/**
 * Keys of one config (as written) that aisbf does not know: they are stored, so an AISBF document
 * round-trips, but they change nothing, so the import or save says so (docs/context.md "Keys").
 */
export function unknownKeyWarnings(
  kind: Kind,
  config: unknown,
  prefix: ReadonlyArray<PropertyKey> = [],
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  if (isRecord(config))
    walkConfig(kind, config, prefix, (record, known, path) => unknownKeys(record, known, path, out));
  return out;
}

/** A copy of `config` without its unknown credential keys (`isCredentialKey`): what is stored. */
export function withoutCredentialKeys<T>(kind: Kind, config: T): T {
  if (!isRecord(config)) return config;
  const copy = structuredClone(config);
  walkConfig(kind, copy, [], (record, known) => {
    if (!isRecord(record)) return;
    for (const key of Object.keys(record)) if (!known.has(key) && isCredentialKey(key)) delete record[key];
  });
  return copy;
}
