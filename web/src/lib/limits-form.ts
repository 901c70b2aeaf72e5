import { limitsSchema } from '@aisbf/core';
import type { Issue } from './issues';

// The server's own schema (docs/usage.md): the form refuses exactly what the control plane refuses.
type Limits = NonNullable<ReturnType<typeof limitsSchema.parse>>;
export type LimitKey = keyof Limits;

export interface LimitField {
  key: LimitKey;
  label: string;
  /** Cost budgets are stored in micro-units; the form shows currency units. */
  unit: 'count' | 'currency';
}

export const LIMIT_FIELDS: readonly LimitField[] = [
  { key: 'requestsPerMinute', label: 'Requests per minute', unit: 'count' },
  { key: 'tokensPerMinute', label: 'Tokens per minute', unit: 'count' },
  { key: 'requestsPerDay', label: 'Requests per day', unit: 'count' },
  { key: 'requestsPerMonth', label: 'Requests per month', unit: 'count' },
  { key: 'tokensPerDay', label: 'Tokens per day', unit: 'count' },
  { key: 'tokensPerMonth', label: 'Tokens per month', unit: 'count' },
  { key: 'costMicrosPerDay', label: 'Cost budget per day', unit: 'currency' },
  { key: 'costMicrosPerMonth', label: 'Cost budget per month', unit: 'currency' },
];

/** What the inputs hold: text, empty = no limit. */
export type LimitsValues = Record<LimitKey, string>;

const MICROS = 1_000_000;

export function limitsToValues(limits: Partial<Limits> | null | undefined): LimitsValues {
  const out = {} as LimitsValues;
  for (const f of LIMIT_FIELDS) {
    const v = limits?.[f.key];
    out[f.key] = v === undefined ? '' : f.unit === 'currency' ? String(v / MICROS) : String(v);
  }
  return out;
}

/**
 * The `limits` to send (null when every field is empty: no limits), or the issues to show next to
 * the fields, keyed by the server's paths (`requestsPerMinute`, …).
 */
export function valuesToLimits(values: LimitsValues): { limits: Limits | null; issues: Issue[] } {
  const raw: Record<string, number> = {};
  const issues: Issue[] = [];
  for (const f of LIMIT_FIELDS) {
    const text = values[f.key].trim();
    if (text === '') continue;
    const n = Number(text);
    if (!Number.isFinite(n)) {
      issues.push({ path: f.key, message: `${f.label} must be a number` });
      continue;
    }
    raw[f.key] = f.unit === 'currency' ? Math.round(n * MICROS) : n;
  }
  if (issues.length > 0) return { limits: null, issues };
  const parsed = limitsSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '');
      const field = LIMIT_FIELDS.find((f) => f.key === key);
      const what = field?.unit === 'count' && issue.code === 'invalid_type' ? 'a whole number' : undefined;
      issues.push({
        path: key,
        message: what ? `${field?.label} must be ${what}` : `${field?.label ?? key}: ${issue.message}`,
      });
    }
    return { limits: null, issues };
  }
  return { limits: Object.keys(parsed.data).length === 0 ? null : parsed.data, issues: [] };
}

/** A one-line summary for a table cell: "60 req/min · 1.5 per day". */
export function limitsSummary(limits: Partial<Limits> | null | undefined): string {
  if (limits === null || limits === undefined) return 'none';
  const parts: string[] = [];
  for (const f of LIMIT_FIELDS) {
    const v = limits[f.key];
    if (v === undefined) continue;
    parts.push(`${f.label}: ${f.unit === 'currency' ? v / MICROS : v}`);
  }
  return parts.length === 0 ? 'none' : parts.join(' · ');
}
