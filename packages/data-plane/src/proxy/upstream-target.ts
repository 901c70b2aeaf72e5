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
  /**
   * The request headers of an attempt (the provider's own, content type, accept, the key as a
   * bearer token for OpenAI-compatible backends) with `extra` (the hop count) last. Built once per
   * snapshot provider, answer kind and `extra`, and shared: callers copy before changing it.
   */
  headers(target: RouteTarget, stream: boolean, extra: readonly [name: string, value: string]): Record<string, string>;
  /** The provider's decrypted key, or null; backends of other dialects send it in their own header. */
  apiKey(target: RouteTarget): string | null;
  pool(target: RouteTarget, connectMs: number): Pool;
}

export function createTargetResolver(deps: {
  pools: UpstreamPools;
  decrypt: (sealed: string) => string;
}): TargetResolver {
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
  /** Whole request headers per snapshot provider: [non-stream, stream], by extra header. */
  const requestHeaders = new WeakMap<
    RouteTarget['provider'],
    { sealed: string | null; memos: [Map<string, Record<string, string>>, Map<string, Record<string, string>>] }
  >();
  // Per snapshot provider, like the headers: a node's memory follows the parts it holds, so these
  // go when an evicted user's part does (docs/cluster.md "What a node holds").
  const keys = new WeakMap<RouteTarget['provider'], { sealed: string; key: string }>();
  const apiKey = (target: RouteTarget): string | null => {
    const sealed = target.provider.apiKeyEnc;
    if (sealed === null) return null;
    // Checked against the ciphertext: a rotated key is a new ciphertext, so the cache never serves a stale key.
    let cached = keys.get(target.provider);
    if (cached === undefined || cached.sealed !== sealed) {
      cached = { sealed, key: deps.decrypt(sealed) };
      keys.set(target.provider, cached);
    }
    return cached.key;
  };
  const addresses = new WeakMap<RouteTarget['provider'], TargetAddress & { endpoint: string }>();
  const address = (target: RouteTarget): TargetAddress => {
    const endpoint = target.provider.endpoint;
    let a = addresses.get(target.provider);
    if (a === undefined || a.endpoint !== endpoint) {
      const url = new URL(endpoint);
      a = { endpoint, origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
      addresses.set(target.provider, a);
    }
    return a;
  };
  return {
    address,
    apiKey,
    headers(target, stream, [name, value]) {
      // Memoised on the measured hot path (docs/benchmarks.md "`aisbf start`: the request path"):
      // building and spreading these per attempt showed in the CPU profile under load.
      // Keyed by the ciphertext too, like `apiKey`: a provider whose key changed never gets the old one.
      let byKind = requestHeaders.get(target.provider);
      if (byKind === undefined || byKind.sealed !== target.provider.apiKeyEnc) {
        byKind = { sealed: target.provider.apiKeyEnc, memos: [new Map(), new Map()] };
        requestHeaders.set(target.provider, byKind);
      }
      const memo = byKind.memos[stream ? 1 : 0];
      const memoKey = `${name}\0${value}`;
      let out = memo.get(memoKey);
      if (out === undefined) {
        out = {
          ...providerHeaders(target.provider),
          'content-type': 'application/json',
          accept: stream ? 'text/event-stream' : 'application/json',
        };
        // OpenAI-compatible backends take the key as a bearer token; other types in their own header (backend-request.ts).
        const key = backendDialectFor(target.provider.type) === null ? apiKey(target) : null;
        if (key !== null) out['authorization'] = `Bearer ${key}`;
        out[name] = value;
        // Bounded: the extra header is the hop count, below AISBF_MAX_HOPS for any request sent.
        if (memo.size < 64) memo.set(memoKey, out);
      }
      return out;
    },
    pool(target, connectMs) {
      return deps.pools.get(address(target).origin, connectMs, target.provider.ownerId !== null);
    },
  };
}
