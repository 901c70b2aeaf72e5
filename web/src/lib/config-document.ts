import { joinPath, type Issue } from './issues';
import { jsonErrorOffset, lineColumn } from './json-error-offset';
import { SLUG } from './provider-form';

export type ConfigKind = 'rotations' | 'autoselects';
export type JsonObject = Record<string, unknown>;

export interface ConfigItem {
  id: string;
  config: JsonObject;
}

export type ParseResult = { ok: true; items: ConfigItem[] } | { ok: false; issues: Issue[] };

const isRecord = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** JSON.parse's message plus where the error sits, as "line L, column C". */
function describeJsonError(text: string, error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  const offset = jsonErrorOffset(text);
  if (offset < 0) return message;
  const { line, column } = lineColumn(text, offset);
  return `${message
    .replace(/,\s*".*$/, '')
    .replace(/\s*\(line.*$/, '')
    .replace(/ in JSON at position \d+$/, '')} (line ${line}, column ${column})`;
}

// The shapes the seed and AISBF use (see docs/examples/): {"rotations":{id:{…}}}, a bare map
// {id:{…}}, AISBF's {"autoselect":{…}}, or one config object whose `model_name` names it.
const WRAPPERS: Record<ConfigKind, readonly string[]> = {
  rotations: ['rotations'],
  autoselects: ['autoselects', 'autoselect', 'autoselections'],
};

const ROTATIONS_TOP_LEVEL: readonly string[] = ['notifyerrors', 'notify_on_failover'];

function looksLikeConfig(kind: ConfigKind, value: JsonObject): boolean {
  return kind === 'rotations'
    ? 'providers' in value || 'models' in value
    : 'available_models' in value || 'fallback' in value;
}

function isNonNegativeNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function checkRotation(config: JsonObject, at: readonly (string | number)[], issues: Issue[]): void {
  const providers = config['providers'];
  const models = config['models'];
  if (providers !== undefined && !Array.isArray(providers))
    issues.push({ path: joinPath([...at, 'providers']), message: 'providers must be a list' });
  if (models !== undefined && !Array.isArray(models))
    issues.push({ path: joinPath([...at, 'models']), message: 'models must be a list' });
  const entries = [...(Array.isArray(providers) ? providers : []), ...(Array.isArray(models) ? models : [])];
  if (entries.length === 0)
    issues.push({
      path: joinPath([...at, 'providers']),
      message: 'a rotation needs at least one entry in "providers"',
    });
  if (Array.isArray(providers)) {
    providers.forEach((entry: unknown, i) => {
      const p = [...at, 'providers', i];
      if (!isRecord(entry)) {
        issues.push({ path: joinPath(p), message: 'each entry must be an object' });
        return;
      }
      const hasRoute = typeof entry['route'] === 'string' && entry['route'] !== '';
      if (!hasRoute) {
        if (typeof entry['provider_id'] !== 'string' || entry['provider_id'] === '')
          issues.push({ path: joinPath([...p, 'provider_id']), message: 'provider_id is required' });
        // No `model` and no `models`: AISBF's form for every model the provider lists.
        if (entry['model'] !== undefined && (typeof entry['model'] !== 'string' || entry['model'] === ''))
          issues.push({ path: joinPath([...p, 'model']), message: 'model must be a model name' });
        const list = entry['models'];
        if (list !== undefined && (!Array.isArray(list) || list.length === 0))
          issues.push({ path: joinPath([...p, 'models']), message: 'models must be a non-empty list of {"name": …}' });
        else if (Array.isArray(list))
          list.forEach((m: unknown, j) => {
            if (!isRecord(m) || typeof m['name'] !== 'string' || m['name'] === '')
              issues.push({ path: joinPath([...p, 'models', j, 'name']), message: 'name is required' });
          });
      }
      for (const key of ['weight', 'error_cooldown'] as const) {
        if (entry[key] !== undefined && !isNonNegativeNumber(entry[key]))
          issues.push({ path: joinPath([...p, key]), message: `${key} must be a number ≥ 0` });
      }
    });
  }
  if (Array.isArray(models)) {
    models.forEach((entry: unknown, i) => {
      if (!isRecord(entry) || typeof entry['name'] !== 'string')
        issues.push({ path: joinPath([...at, 'models', i, 'name']), message: 'name is required' });
    });
  }
  for (const key of ['privacy', 'notifyerrors'] as const) {
    if (config[key] !== undefined && typeof config[key] !== 'boolean')
      issues.push({ path: joinPath([...at, key]), message: `${key} must be true or false` });
  }
  const strategy = config['strategy'];
  if (strategy !== undefined && strategy !== 'priority' && strategy !== 'weighted')
    issues.push({ path: joinPath([...at, 'strategy']), message: 'strategy must be "priority" or "weighted"' });
}

function checkAutoselect(config: JsonObject, at: readonly (string | number)[], issues: Issue[]): void {
  if (typeof config['fallback'] !== 'string' || config['fallback'] === '')
    issues.push({ path: joinPath([...at, 'fallback']), message: 'fallback is required' });
  const candidates = config['available_models'];
  if (!Array.isArray(candidates) || candidates.length === 0) {
    issues.push({
      path: joinPath([...at, 'available_models']),
      message: 'available_models needs at least one candidate',
    });
  } else {
    candidates.forEach((c: unknown, i) => {
      if (!isRecord(c) || typeof c['model_id'] !== 'string' || c['model_id'] === '')
        issues.push({ path: joinPath([...at, 'available_models', i, 'model_id']), message: 'model_id is required' });
    });
  }
  const semantic = config['classify_semantic'];
  if (
    (semantic === undefined || semantic === true) &&
    (typeof config['selection_model'] !== 'string' || config['selection_model'] === '')
  ) {
    issues.push({
      path: joinPath([...at, 'selection_model']),
      message: 'selection_model is required when classify_semantic is on',
    });
  }
}

/**
 * Parses what a user pastes into a JSON view into `{id, config}` items. It checks the structure
 * the dashboard needs; the control plane re-validates everything on save.
 */
export function parseConfigDocument(kind: ConfigKind, text: string): ParseResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      issues: [{ path: '(document)', message: `Not valid JSON: ${describeJsonError(text, error)}` }],
    };
  }
  if (!isRecord(doc)) return { ok: false, issues: [{ path: '(document)', message: 'Expected a JSON object' }] };

  let map: JsonObject = doc;
  let prefix: string[] = [];
  let inherited: JsonObject = {};
  const wrapper = WRAPPERS[kind].find((w) => w in doc);
  // AISBF's rotations.json may carry notifyerrors / notify_on_failover beside `rotations`: they
  // apply to each rotation that sets none (the control plane's import does the same).
  const beside = wrapper === undefined ? [] : Object.keys(doc).filter((k) => k !== wrapper);
  if (wrapper !== undefined && beside.every((k) => kind === 'rotations' && ROTATIONS_TOP_LEVEL.includes(k))) {
    const inner = doc[wrapper];
    if (!isRecord(inner))
      return { ok: false, issues: [{ path: wrapper, message: `${wrapper} must be an object keyed by id` }] };
    map = inner;
    prefix = [wrapper];
    inherited = Object.fromEntries(beside.map((k) => [k, doc[k]]));
  } else if (looksLikeConfig(kind, doc)) {
    const name = doc['model_name'];
    if (typeof name !== 'string' || name === '')
      return {
        ok: false,
        issues: [{ path: 'model_name', message: 'A single config needs model_name (it becomes the id)' }],
      };
    map = { [name]: doc };
  }

  const entries = Object.entries(map);
  if (entries.length === 0)
    return {
      ok: false,
      issues: [{ path: joinPath(prefix) || '(document)', message: 'The document holds no entries' }],
    };
  const issues: Issue[] = [];
  const items: ConfigItem[] = [];
  for (const [id, config] of entries) {
    const at = [...prefix, id];
    if (!SLUG.test(id))
      issues.push({
        path: joinPath(at),
        message: `"${id}" is not a valid id (lowercase letters, digits, ".", "_", ":" or "-")`,
      });
    if (!isRecord(config)) {
      issues.push({ path: joinPath(at), message: 'Expected an object' });
      continue;
    }
    const merged = { ...inherited, ...config };
    if (kind === 'rotations') checkRotation(merged, at, issues);
    else checkAutoselect(merged, at, issues);
    items.push({ id, config: merged });
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, items };
}

/** Pretty JSON in the seed's own wrapping, for the JSON view of existing configs. */
export function toDocumentText(kind: ConfigKind, items: readonly ConfigItem[]): string {
  const map: JsonObject = {};
  for (const item of items) map[item.id] = item.config;
  return JSON.stringify(kind === 'rotations' ? { rotations: map } : map, null, 2);
}
