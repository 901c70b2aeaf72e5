import { Pool } from 'undici';
import { createGuardedConnector, type EndpointGuardOptions } from './endpoint-guard';

export interface UpstreamPoolOptions {
  /**
   * Sockets per upstream origin; null = as many as requests in flight. Unbounded by default: a
   * request queued for a local socket would spend its headers timeout here and the backend would
   * be blamed for it. Backend capacity is bounded by `max_concurrency` instead.
   */
  connections: number | null;
  connectTimeoutMs: number;
  /** Endpoint policy for user-owned providers (docs/security.md); absent = no connect-time check. */
  guard: EndpointGuardOptions | null;
}

/**
 * One keep-alive undici Pool per upstream origin (docs/data-plane.md).
 * Timeouts are driven by the proxy loop's own timers (headers, first token, idle, total), so the
 * pool's are disabled: one place decides, and a timed-out attempt is aborted (socket closed).
 */
export interface UpstreamPools {
  /** `guarded`: the pool serves a user-owned provider, so its connections pass the endpoint policy. */
  get(origin: string, connectTimeoutMs: number, guarded?: boolean): Pool;
  close(): Promise<void>;
}

export function createUpstreamPools(options: Partial<UpstreamPoolOptions> = {}): UpstreamPools {
  const pools = new Map<string, Pool>();
  const connections = options.connections ?? null;
  return {
    get(origin, connectTimeoutMs, guarded = false) {
      const guard = guarded ? (options.guard ?? null) : null;
      // A global and a user-owned provider on the same origin never share sockets: only one is checked.
      const key = `${origin}|${connectTimeoutMs}${guard === null ? '' : '|guarded'}`;
      let pool = pools.get(key);
      if (pool === undefined) {
        pool = new Pool(origin, {
          connections,
          pipelining: 1,
          keepAliveTimeout: 30_000,
          headersTimeout: 0,
          bodyTimeout: 0,
          connect:
            guard === null
              ? { timeout: connectTimeoutMs }
              : createGuardedConnector({ ...guard, timeoutMs: connectTimeoutMs }),
        });
        pools.set(key, pool);
      }
      return pool;
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.destroy().catch(() => undefined)));
    },
  };
}
