import { backendDialectFor } from '@aisbf/dialects';
import type { Pool } from 'undici';
import type { RouteTarget } from '@aisbf/core';
import type { UpstreamPools } from '../upstream/upstream-pools';

export interface TargetAddress {
  origin: string;
  /** Path prefix of the provider endpoint, e.g. `/v1`. */
  basePath: string;
}

/**
 * Per-provider facts computed once (URL split, decrypted key, static headers) and kept per
 * snapshot entry, so an attempt costs no URL parsing or decryption (docs/data-plane.md).
 */
export interface TargetResolver {
  address(target: RouteTarget): TargetAddress;
  headers(target: RouteTarget, stream: boolean): Record<string, string>;
  /** The provider's decrypted key, or null; backends of other dialects send it in their own header. */
  apiKey(target: RouteTarget): string | null;
  pool(target: RouteTarget, connectMs: number): Pool;
}

export function createTargetResolver(deps: {
  pools: UpstreamPools;
  decrypt: (sealed: string) => string;
}): TargetResolver {
  const addresses = new Map<string, TargetAddress>();
  /** The provider's own headers in plaintext, per snapshot provider (a new snapshot is new objects). */
  const staticHeaders = new WeakMap<RouteTarget['provider'], Record<string, string>>();
  const providerHeaders = (provider: RouteTarget['provider']): Record<string, string> => {
    let out = staticHeaders.get(provider);
    if (out === undefined) {
      out = { ...(provider.headers ?? {}) };
      // Sealed like the key (docs/architecture.md "Secrets"); decrypted once per snapshot.
      for (const [name, sealed] of Object.entries(provider.headersEnc ?? {})) out[name] = deps.decrypt(sealed);
      staticHeaders.set(provider, out);
    }
    return out;
  };
  const keys = new Map<string, string>();
  const apiKey = (target: RouteTarget): string | null => {
    const sealed = target.provider.apiKeyEnc;
    if (sealed === null) return null;
    // Cached per ciphertext: a rotated key is a new ciphertext, so the cache never serves a stale key.
    let key = keys.get(sealed);
    if (key === undefined) {
      key = deps.decrypt(sealed);
      keys.set(sealed, key);
    }
    return key;
  };
  const address = (target: RouteTarget): TargetAddress => {
    const endpoint = target.provider.endpoint;
    let a = addresses.get(endpoint);
    if (a === undefined) {
      const url = new URL(endpoint);
      a = { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
      addresses.set(endpoint, a);
    }
    return a;
  };
  return {
    address,
    apiKey,
    headers(target, stream) {
      const out: Record<string, string> = {
        ...providerHeaders(target.provider),
        'content-type': 'application/json',
        accept: stream ? 'text/event-stream' : 'application/json',
      };
      // OpenAI-compatible backends take the key as a bearer token; other types in their own header (backend-request.ts).
      const key = backendDialectFor(target.provider.type) === null ? apiKey(target) : null;
      if (key !== null) out['authorization'] = `Bearer ${key}`;
      return out;
    },
    pool(target, connectMs) {
      return deps.pools.get(address(target).origin, connectMs, target.provider.ownerId !== null);
    },
  };
}
