import { formatPath, providerConfigSchema } from '@aisbf/core';
import type { Provider } from './api-types';
import type { Issue } from './issues';

/** The timeout knobs of a provider (docs/reliability.md "Defaults"), with their defaults for the hints. */
export const TIMEOUT_FIELDS = [
  { key: 'timeout_connect_s', label: 'Connect timeout (s)', fallback: 10 },
  { key: 'timeout_headers_s', label: 'Headers timeout (s)', fallback: 30 },
  { key: 'timeout_first_token_s', label: 'First token timeout (s)', fallback: 10 },
  { key: 'timeout_idle_s', label: 'Idle timeout (s)', fallback: 15 },
  { key: 'timeout_total_s', label: 'Total budget (s)', fallback: 120 },
  { key: 'retry_after_max_s', label: 'Longest Retry-After waited (s)', fallback: 3 },
  { key: 'timeout_queue_s', label: 'Queue wait when saturated (s)', fallback: 10 },
] as const;
export type TimeoutKey = (typeof TIMEOUT_FIELDS)[number]['key'];

export const PRICE_FIELDS = [
  { key: 'prompt', label: 'Prompt price' },
  { key: 'completion', label: 'Completion price' },
  { key: 'cached_prompt', label: 'Cached prompt price' },
] as const;
export type PriceKey = (typeof PRICE_FIELDS)[number]['key'];

export interface HeaderRow {
  name: string;
  /** Empty on a stored header: keep its value (never shown). */
  value: string;
  /** The header exists on the server: its value is redacted here. */
  stored: boolean;
}

export interface ModelRow {
  name: string;
  contextWindow: string;
  prices: Record<PriceKey, string>;
  /** Fields the form does not edit (prefill, defaults), kept as they were. */
  rest: Record<string, unknown>;
}

export interface SettingsValues {
  timeouts: Record<TimeoutKey, string>;
  backoffMs: string;
  sameEntry: string;
  maxConcurrency: string;
  healthProbe: 'free' | 'paid' | 'none';
  defaultMaxTokens: string;
  headers: HeaderRow[];
  models: ModelRow[];
}

const text = (v: unknown): string => (typeof v === 'number' && Number.isFinite(v) ? String(v) : '');
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function settingsFromProvider(p: Provider): SettingsValues {
  const s = p.settings;
  const retry = isRecord(s['retry']) ? s['retry'] : {};
  const probe = s['health_probe'];
  const timeouts = {} as Record<TimeoutKey, string>;
  for (const f of TIMEOUT_FIELDS) timeouts[f.key] = text(s[f.key]);
  return {
    timeouts,
    backoffMs: text(retry['backoff_ms']),
    sameEntry: text(retry['same_entry']),
    maxConcurrency: text(s['max_concurrency']),
    healthProbe: probe === 'paid' || probe === 'none' ? probe : 'free',
    defaultMaxTokens: text(s['default_max_tokens']),
    headers: p.headers.map((name) => ({ name, value: '', stored: true })),
    models: p.models.map((m) => ({
      name: m.name,
      contextWindow: text(m.contextWindow),
      prices: {
        prompt: text(m.pricing?.['prompt']),
        completion: text(m.pricing?.['completion']),
        cached_prompt: text(m.pricing?.['cached_prompt']),
      },
      rest: {
        ...(m.prefill !== undefined ? { prefill: m.prefill } : {}),
        ...(m.defaults !== undefined ? { defaults: m.defaults } : {}),
      },
    })),
  };
}

/** Keys this editor owns; every other stored setting is sent back as it was. */
const EDITED = new Set<string>([
  ...TIMEOUT_FIELDS.map((f) => f.key),
  'retry',
  'max_concurrency',
  'health_probe',
  'default_max_tokens',
  'headers',
]);

/** A number field: empty = unset, anything else must parse (the schema then judges the range). */
function numberOf(value: string, path: string, label: string, issues: Issue[]): number | undefined {
  const t = value.trim();
  if (t === '') return undefined;
  const n = Number(t);
  if (!Number.isFinite(n)) {
    issues.push({ path, message: `${label} must be a number` });
    return undefined;
  }
  return n;
}

// A type alias, not an interface: it must fit the router's loose (index-signature) input type.
export type ProviderSettingsInput = {
  id: string;
  type: string;
  endpoint: string;
  enabled: boolean;
  models: Array<Record<string, unknown>>;
  [setting: string]: unknown;
};

/**
 * The `providers.upsert` input for these settings (the key is left out: the stored one is kept),
 * checked with the control plane's own provider schema; issues carry the server's paths
 * (`timeout_connect_s`, `retry.backoff_ms`, `headers.X-Org`, `models[0].pricing.prompt`).
 */
export function toSettingsInput(
  p: Provider,
  values: SettingsValues,
): { input: ProviderSettingsInput; issues: Issue[] } {
  const issues: Issue[] = [];
  const input: ProviderSettingsInput = {
    id: p.id,
    type: p.type,
    endpoint: p.endpoint,
    enabled: p.enabled,
    models: [],
  };
  for (const [key, value] of Object.entries(p.settings)) if (!EDITED.has(key)) input[key] = value;
  for (const f of TIMEOUT_FIELDS) {
    const n = numberOf(values.timeouts[f.key], f.key, f.label, issues);
    if (n !== undefined) input[f.key] = n;
  }
  const backoff = numberOf(values.backoffMs, 'retry.backoff_ms', 'Retry backoff', issues);
  const same = numberOf(values.sameEntry, 'retry.same_entry', 'Same-entry retries', issues);
  if (backoff !== undefined || same !== undefined)
    input['retry'] = {
      ...(backoff !== undefined ? { backoff_ms: backoff } : {}),
      ...(same !== undefined ? { same_entry: same } : {}),
    };
  const concurrency = numberOf(values.maxConcurrency, 'max_concurrency', 'Max concurrency', issues);
  if (concurrency !== undefined) input['max_concurrency'] = concurrency;
  input['health_probe'] = values.healthProbe;
  const maxTokens = numberOf(values.defaultMaxTokens, 'default_max_tokens', 'Default max_tokens', issues);
  if (maxTokens !== undefined) input['default_max_tokens'] = maxTokens;

  const headers: Record<string, string | null> = {};
  values.headers.forEach((h, i) => {
    const name = h.name.trim();
    if (name === '') {
      issues.push({ path: `headerRows[${i}].name`, message: 'Header name is required' });
      return;
    }
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      issues.push({ path: `headerRows[${i}].name`, message: 'A header name is letters, digits and - only' });
      return;
    }
    if (name in headers) {
      issues.push({ path: `headerRows[${i}].name`, message: `${name} is listed twice` });
      return;
    }
    if (h.value === '' && !h.stored) {
      issues.push({ path: `headerRows[${i}].value`, message: 'Value is required for a new header' });
      return;
    }
    // null: keep the stored value, which this page never sees.
    headers[name] = h.value === '' ? null : h.value;
  });
  if (Object.keys(headers).length > 0 || p.headers.length > 0) input['headers'] = headers;

  values.models.forEach((m, i) => {
    const model: Record<string, unknown> = { ...m.rest, name: m.name };
    const ctx = numberOf(m.contextWindow, `models[${i}].context_window`, 'Context window', issues);
    if (ctx !== undefined) model['context_window'] = ctx;
    const pricing: Record<string, number> = {};
    for (const f of PRICE_FIELDS) {
      const n = numberOf(m.prices[f.key], `models[${i}].pricing.${f.key}`, f.label, issues);
      if (n !== undefined) pricing[f.key] = n;
    }
    if (Object.keys(pricing).length > 0) model['pricing'] = pricing;
    input.models.push(model);
  });

  // The server's schema, with a stand-in for the values kept on the server.
  const checked = {
    ...input,
    ...(input['headers'] === undefined
      ? {}
      : { headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v ?? 'kept'])) }),
  };
  const parsed = providerConfigSchema.safeParse(checked);
  if (!parsed.success)
    for (const issue of parsed.error.issues) {
      const path = formatPath(issue.path);
      if (!issues.some((i) => i.path === path)) issues.push({ path, message: issue.message });
    }
  return { input, issues };
}

/**
 * What the main Edit form sends, with what it does not show kept: every stored setting (headers
 * unchanged) and each still-listed model's context window, prices and flags. Without this an edit
 * of the endpoint would drop the provider's timeouts, headers and prices.
 */
export function keepOnEdit<T extends { models?: string[] }>(p: Provider, input: T): Record<string, unknown> & T {
  const kept: Record<string, unknown> = { ...p.settings };
  if (p.headers.length > 0) kept['headers'] = Object.fromEntries(p.headers.map((h) => [h, null]));
  const out: Record<string, unknown> = { ...kept, ...input };
  if (input.models !== undefined)
    out['models'] = input.models.map((name) => {
      const m = p.models.find((x) => x.name === name);
      if (m === undefined) return name;
      const model: Record<string, unknown> = { name };
      if (m.contextWindow !== undefined) model['context_window'] = m.contextWindow;
      if (m.prefill !== undefined) model['prefill'] = m.prefill;
      if (m.defaults !== undefined) model['defaults'] = m.defaults;
      if (m.pricing !== undefined) model['pricing'] = m.pricing;
      return Object.keys(model).length === 1 ? name : model;
    });
  return out as Record<string, unknown> & T;
}
