import type { ClientHeaders, DialectName } from '@aisbf/dialects';
import type { Logger } from 'pino';
import type {
  GatewayError,
  IndexedAutoselect,
  ModelLimits,
  RequestSpacer,
  Resolution,
  UsageAttempt,
} from '@aisbf/core';
import type { Summariser } from '../context/summariser';
import type { ClientSignal } from '../http/client-signal';
import type { RoutingState } from './routing-state';
import type { ProviderHealth, SelectionContext } from './select-leaf';
import type { TargetResolver } from './upstream-target';

/** What trying upstreams needs from the data plane (attemptOnce, runAttempts, the relay's continuation). */
export interface AttemptDeps {
  state: RoutingState;
  targets: TargetResolver;
  clock: () => number;
  random: () => number;
  logger: Logger;
  health?: ProviderHealth | undefined;
  /** 401/403/404 from an upstream: its key or model is wrong (docs/architecture.md "Retry discipline": flagged in health). */
  onProviderFlagged?: (flag: ProviderFlag) => void;
  /** AISBF's `rate_limit` spacing (docs/context.md "Rate limit"); absent = not enforced. */
  spacer?: RequestSpacer | undefined;
  /** Each attempt as it ends (tracing gives its span the real start and end). */
  onAttemptEnded?: (attempt: UsageAttempt) => void;
}

export interface ProviderFlag {
  ownerId: string | null;
  providerId: string;
  model: string;
  status: number;
}

/** One request's attempts: what to send, where it may go, and the attempts made so far. */
export interface AttemptPlan {
  resolution: Resolution;
  /** `/chat/completions`, `/completions` or `/embeddings`, appended to the provider endpoint. */
  upstreamPath: string;
  /** The client's body; only `model` is rewritten per attempt (plus defaults and include_usage). */
  body: Record<string, unknown>;
  stream: boolean;
  startedAt: number;
  /** Gateways the request already passed; every upstream request says one more (http/hop-count.ts). */
  hops: number;
  /** Fires when the client goes away: the attempt in flight is aborted. */
  clientSignal: ClientSignal;
  /** Mid-stream continuation: the assistant text delivered so far. */
  prefill?: string;
  /**
   * A client of another dialect than OpenAI Chat (`body` is then its canonical translation): a
   * backend of that same dialect gets the client's own body and headers (pass-through).
   */
  client?: { dialect: DialectName; body: Record<string, unknown>; headers: ClientHeaders };
  selection: SelectionContext;
  attempts: UsageAttempt[];
  /**
   * Decides an autoselect met as a rotation entry (AISBF meta entry) for this request: the routes
   * to try in order, or why none. Absent: autoselect entries cannot serve.
   */
  expand?: (autoselect: IndexedAutoselect) => Promise<AutoselectExpansion>;
  /** The `default_*` keys of the autoselect(s) this request came through (docs/context.md "Order of resolution"). */
  autoselectLimits?: ModelLimits | undefined;
  /**
   * Writes the summaries of `conversational` and `hierarchical` condensation as the request's user
   * (docs/context.md "Condensation"). Absent (a summary request itself): those methods fall back
   * to sliding_window, so a summary never recurses into another.
   */
  summariser?: Summariser;
}

/** `private`: the request was judged private, so it may only go where the autoselect allows. */
export type AutoselectExpansion =
  | {
      ok: true;
      routes: readonly [Resolution, ...Resolution[]];
      reason: string;
      findings: readonly string[];
      private: boolean;
    }
  | { ok: false; error: GatewayError; findings: readonly string[]; private: boolean };
