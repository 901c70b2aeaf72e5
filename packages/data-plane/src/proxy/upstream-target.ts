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
  pool(target: RouteTarget, connectMs: number): Pool;
}

export function createTargetResolver(deps: {
  pools: UpstreamPools;
  decrypt: (sealed: string) => string;
}): TargetResolver {
  const addresses = new Map<string, TargetAddress>();
  const keys = new Map<string, string>();
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
    headers(target, stream) {
      const out: Record<string, string> = {
        ...(target.provider.headers ?? {}),
        'content-type': 'application/json',
        accept: stream ? 'text/event-stream' : 'application/json',
      };
      const sealed = target.provider.apiKeyEnc;
      if (sealed !== null) {
        // Cached per ciphertext: a rotated key is a new ciphertext, so the cache never serves a stale key.
        let key = keys.get(sealed);
        if (key === undefined) {
          key = deps.decrypt(sealed);
          keys.set(sealed, key);
        }
        out['authorization'] = `Bearer ${key}`;
      }
      return out;
    },
    pool(target, connectMs) {
      return deps.pools.get(address(target).origin, connectMs, target.provider.ownerId !== null);
    },
  };
}
