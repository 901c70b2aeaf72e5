import type { z } from 'zod';
import { err, ok, type Result } from '../result';
import { isSlug } from '../slug';
import { autoselectConfigSchema, type AutoselectConfig } from './autoselect-config.schema';
import { providerConfigSchema, type ProviderConfig } from './provider-config.schema';
import { rotationConfigSchema, type RotationConfig } from './rotation-config.schema';
import { formatPath, type ConfigIssue } from './config-issue';
import { unknownKeyWarnings, ROTATIONS_DOCUMENT_KEYS, unknownKeys } from './unknown-keys';

export { formatPath, type ConfigIssue } from './config-issue';

export type ConfigKind = 'providers' | 'rotations' | 'autoselects';

export interface ParsedDocument<T> {
  /** Parsed, defaulted configs by id, in document order. */
  items: Array<{ id: string; config: T; raw: unknown }>;
  /** Accepted, but worth a look: keys aisbf does not know (with a "did you mean"). */
  warnings: ConfigIssue[];
}

type ItemKind = 'provider' | 'rotation' | 'autoselect';

export function issuesFromZod(error: z.ZodError, prefix: ReadonlyArray<PropertyKey> = []): ConfigIssue[] {
  return error.issues.map((issue) => ({ path: formatPath([...prefix, ...issue.path]), message: issue.message }));
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseKeyed<T>(
  entries: Array<[string, unknown]>,
  prefix: ReadonlyArray<PropertyKey>,
  schema: z.ZodType<T>,
  kind: ItemKind,
): Result<ParsedDocument<T>, ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const items: ParsedDocument<T>['items'] = [];
  if (entries.length === 0) return err([{ path: formatPath(prefix), message: 'the document holds no entries' }]);
  for (const [id, raw] of entries) {
    if (!isSlug(id)) {
      issues.push({
        path: formatPath([...prefix, id]),
        message: `"${id}" is not a valid id (a slug: lowercase letters, digits, ".", "_", ":" or "-", at most 64)`,
      });
      continue;
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) issues.push(...issuesFromZod(parsed.error, [...prefix, id]));
    else {
      items.push({ id, config: parsed.data, raw });
      warnings.push(...unknownKeyWarnings(kind, raw, [...prefix, id]));
    }
  }
  return issues.length > 0 ? err(issues) : ok({ items, warnings });
}

/**
 * Rotations: the seed's `{"rotations":{id: {...}}}`, or a bare `{id: {...}}` map. A rotation's
 * `model_name` is informational; the key is its id.
 */
export function parseRotationsDocument(document: unknown): Result<ParsedDocument<RotationConfig>, ConfigIssue[]> {
  if (!isRecord(document))
    return err([{ path: '(document)', message: 'expected a JSON object like {"rotations":{"id":{…}}}' }]);
  if ('rotations' in document) {
    const inner = document['rotations'];
    if (!isRecord(inner)) return err([{ path: 'rotations', message: 'expected an object keyed by rotation id' }]);
    // AISBF's top-level notifyerrors / notify_on_failover apply to every rotation that sets none.
    const inherited: Record<string, unknown> = {};
    for (const key of ['notifyerrors', 'notify_on_failover'] as const)
      if (typeof document[key] === 'boolean') inherited[key] = document[key];
    const entries = Object.entries(inner).map(([id, raw]): [string, unknown] => [
      id,
      isRecord(raw) ? { ...inherited, ...raw } : raw,
    ]);
    const result = parseKeyed(entries, ['rotations'], rotationConfigSchema, 'rotation');
    if (result.ok) result.value.warnings.unshift(...unknownKeys(document, ROTATIONS_DOCUMENT_KEYS, []));
    return result;
  }
  return parseKeyed(Object.entries(document), [], rotationConfigSchema, 'rotation');
}

/** Autoselects: the seed's `{id: {...}}` map, or AISBF's `{"autoselect":{...}}` / `{"autoselects":{...}}`. */
export function parseAutoselectsDocument(document: unknown): Result<ParsedDocument<AutoselectConfig>, ConfigIssue[]> {
  if (!isRecord(document))
    return err([{ path: '(document)', message: 'expected a JSON object keyed by autoselect id' }]);
  for (const key of ['autoselect', 'autoselects', 'autoselections'] as const) {
    if (key in document && isRecord(document[key]) && Object.keys(document).length === 1) {
      return parseKeyed(Object.entries(document[key]), [key], autoselectConfigSchema, 'autoselect');
    }
  }
  return parseKeyed(Object.entries(document), [], autoselectConfigSchema, 'autoselect');
}

/**
 * Providers: AISBF's `{"providers":{id:{...}}}` or `{"providers":[{id,...}]}`, a bare array, or a
 * single provider object. In the keyed form the key is the id (an `id` field, if present, must match).
 */
export function parseProvidersDocument(document: unknown): Result<ParsedDocument<ProviderConfig>, ConfigIssue[]> {
  const inner = isRecord(document) && 'providers' in document ? document['providers'] : document;
  const prefix = isRecord(document) && 'providers' in document ? ['providers'] : [];
  if (Array.isArray(inner)) {
    const issues: ConfigIssue[] = [];
    const warnings: ConfigIssue[] = [];
    const items: ParsedDocument<ProviderConfig>['items'] = [];
    if (inner.length === 0) return err([{ path: formatPath(prefix), message: 'the document holds no providers' }]);
    inner.forEach((raw, i) => {
      const parsed = providerConfigSchema.safeParse(raw);
      if (!parsed.success) issues.push(...issuesFromZod(parsed.error, [...prefix, i]));
      else {
        items.push({ id: parsed.data.id, config: parsed.data, raw });
        warnings.push(...unknownKeyWarnings('provider', raw, [...prefix, i]));
      }
    });
    return issues.length > 0 ? err(issues) : ok({ items, warnings });
  }
  if (!isRecord(inner))
    return err([{ path: formatPath(prefix), message: 'expected providers as an object keyed by id or an array' }]);
  if ('endpoint' in inner && typeof inner['id'] === 'string') {
    const parsed = providerConfigSchema.safeParse(inner);
    return parsed.success
      ? ok({
          items: [{ id: parsed.data.id, config: parsed.data, raw: inner }],
          warnings: unknownKeyWarnings('provider', inner, prefix),
        })
      : err(issuesFromZod(parsed.error, prefix));
  }
  const entries = Object.entries(inner).map(([id, raw]): [string, unknown] => [
    id,
    isRecord(raw) && raw['id'] === undefined ? { ...raw, id } : raw,
  ]);
  const result = parseKeyed(entries, prefix, providerConfigSchema, 'provider');
  if (!result.ok) return result;
  const mismatched = result.value.items.filter((item) => item.config.id !== item.id);
  if (mismatched.length > 0) {
    return err(
      mismatched.map((item) => ({
        path: formatPath([...prefix, item.id, 'id']),
        message: `id "${item.config.id}" does not match its key "${item.id}"`,
      })),
    );
  }
  return result;
}

export function parseConfigDocument(
  kind: ConfigKind,
  document: unknown,
): Result<ParsedDocument<ProviderConfig | RotationConfig | AutoselectConfig>, ConfigIssue[]> {
  switch (kind) {
    case 'providers':
      return parseProvidersDocument(document);
    case 'rotations':
      return parseRotationsDocument(document);
    case 'autoselects':
      return parseAutoselectsDocument(document);
  }
}
