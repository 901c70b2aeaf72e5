import type { ServerResponse } from 'node:http';
import type { Resolution, SnapshotToken, SnapshotUser, UsageSink } from '@aisbf/core';
import type { CacheTap } from '../cache/cache-tap';
import type { ClientSignal } from '../http/client-signal';
import type { AttemptDeps, AttemptPlan } from './attempt-plan';
import type { PassthroughClient } from './relay-passthrough';

export type ProxyEndpoint = 'chat.completions' | 'completions' | 'embeddings';

export const UPSTREAM_PATHS: Readonly<Record<ProxyEndpoint, string>> = {
  'chat.completions': '/chat/completions',
  completions: '/completions',
  embeddings: '/embeddings',
};

/** One proxied request as serveProxy and the stream relay see it. */
export interface ProxyCall {
  res: ServerResponse;
  requestId: string;
  startedAt: number;
  /** `performance.now()` when the request arrived, for x-aisbf-overhead-ms. */
  perfStart: number;
  user: SnapshotUser;
  token: SnapshotToken;
  /** The route name as the client wrote it (usage), and the canonical one (headers). */
  requestedRoute: string;
  routeHeader: string;
  endpoint: ProxyEndpoint;
  body: Record<string, unknown>;
  /** Gateways this request already passed (`x-aisbf-hops`); upstream requests carry one more. */
  hops: number;
  resolution: Resolution;
  clientSignal: ClientSignal;
  extraHeaders?: Record<string, string>;
  autoselectReason?: string | null;
  /** Autoselect: routes to fall through to (before the first byte) after `resolution` failed. */
  fallbacks?: Resolution[];
  /** Response cache (docs/cache.md): told what was relayed, it stores complete answers only. */
  cacheTap?: CacheTap;
  /**
   * A client of another dialect than OpenAI Chat (`body` is its canonical translation): an entry
   * whose backend speaks that dialect gets the client's own body and headers, and its answer goes
   * to `passthrough.res` untranslated (docs/clients.md "Pass-through").
   */
  client?: NonNullable<AttemptPlan['client']> & { passthrough: PassthroughClient };
  /** A top-level autoselect's `default_*` keys (`AttemptPlan.autoselectLimits`). */
  autoselectLimits?: AttemptPlan['autoselectLimits'];
  /** Decides autoselect entries of a rotation (`AttemptPlan.expand`). */
  expand?: AttemptPlan['expand'];
  /** Summaries for condensation (`AttemptPlan.summariser`). */
  summariser?: AttemptPlan['summariser'];
}

export interface ServeDeps extends AttemptDeps {
  usageSink: UsageSink;
  onMalformed?: (count: number) => void;
}
