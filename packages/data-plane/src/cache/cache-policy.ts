import { cacheTtlMs, type Resolution } from '@aisbf/core';

/**
 * What the cache does for one request (docs/cache.md):
 * - `off`: the route is not opted in (or not cacheable): no lookup, no store, no header.
 * - `bypass`: opted in, but the client said `x-aisbf-cache: no-store`: no lookup, no store.
 * - `use`: look up (unless `refresh`, from `force-refresh`), store a complete answer for `ttlMs`.
 * A request header can only opt out or refresh, never opt in: whether a backend's answers may be
 * reused is the route owner's call, and it bounds what the cache holds.
 */
export type CachePolicy = { mode: 'off' } | { mode: 'bypass' } | { mode: 'use'; ttlMs: number; refresh: boolean };

export interface PolicyInput {
  endpoint: string;
  resolution: Resolution;
  /** Autoselect fallbacks: the route that serves is not known in advance, so nothing is cached. */
  hasFallbacks: boolean;
  header: string | string[] | undefined;
}

export function cachePolicy(input: PolicyInput): CachePolicy {
  if (input.endpoint !== 'chat.completions' || input.hasFallbacks) return { mode: 'off' };
  const r = input.resolution;
  const ttlMs =
    r.kind === 'rotation'
      ? cacheTtlMs(r.rotation.config.cache)
      : r.kind === 'provider'
        ? cacheTtlMs(r.target.provider.cache)
        : null;
  if (ttlMs === null) return { mode: 'off' };
  const directives = (Array.isArray(input.header) ? input.header.join(',') : (input.header ?? ''))
    .toLowerCase()
    .split(',')
    .map((d) => d.trim());
  if (directives.includes('no-store')) return { mode: 'bypass' };
  return { mode: 'use', ttlMs, refresh: directives.includes('force-refresh') };
}
