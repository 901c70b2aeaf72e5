import { createHash } from 'node:crypto';
import type { Resolution } from '@aisbf/core';

/**
 * Request fields that never change the answer's content: how it is delivered (`stream`,
 * `stream_options`) and the route name as typed (`model`; the resolved backend replaces it, so
 * `coding` and `user-rotation/coding` share entries). Everything else is in the key, unknown
 * fields included: a field we do not know might change the answer (docs/cache.md).
 */
const DELIVERY_FIELDS = new Set(['stream', 'stream_options', 'model']);

/** The backend identity a resolution stands for: owner scope, id and, for a provider, the model. */
export function backendIdentity(resolution: Resolution): string {
  switch (resolution.kind) {
    case 'provider':
      return `provider:${resolution.target.provider.ownerId ?? '*'}:${resolution.target.provider.id}:${resolution.target.model}`;
    case 'rotation':
      return `rotation:${resolution.ownerId ?? '*'}:${resolution.id}`;
    case 'autoselect':
      return `autoselect:${resolution.ownerId ?? '*'}:${resolution.id}`;
  }
}

export interface CacheKeyInput {
  /** The acting user's id: entries never cross users (docs/cache.md). */
  userId: string;
  endpoint: string;
  resolution: Resolution;
  body: Record<string, unknown>;
}

/** sha256 (hex) over a versioned tuple; the body part is canonical JSON (keys sorted, deep). */
export function responseCacheKey(input: CacheKeyInput): string {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input.body)) {
    if (!DELIVERY_FIELDS.has(name)) fields[name] = value;
  }
  const material = JSON.stringify([
    'aisbf-cache-v1',
    input.userId,
    input.endpoint,
    backendIdentity(input.resolution),
    canonicalJson(fields),
  ]);
  return createHash('sha256').update(material).digest('hex');
}

/** JSON with object keys sorted at every depth, so field order never splits an entry. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    const parts: string[] = [];
    for (const key of keys) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
