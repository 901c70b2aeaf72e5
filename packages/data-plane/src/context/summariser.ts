import { randomUUID } from 'node:crypto';
import { computeCostMicros, err, ok, type PromptMessage, type Result, type SnapshotUser } from '@aisbf/core';
import type { Principal } from '../auth';
import type { BudgetHolds } from '../budget/budget-holds';
import type { ClientSignal } from '../http/client-signal';
import { clientSignalFrom } from '../http/client-signal';
import { isPrivateRoute } from '../proxy/autoselect-bridge';
import { callRouteText } from '../proxy/call-route-text';
import type { ServeDeps } from '../proxy/proxy-call';
import type { RouteResolver } from '../proxy/route-resolver';
import { usageRecord } from '../usage-record';
import type { SummaryCache } from './summary-cache';

/**
 * What `conversational` and `hierarchical` condensation need for one request (docs/context.md
 * "Condensation"): the summariser call as this request's user, the summary cache, and whether
 * the conversation may be shown to a route. A plan without one (a summary request itself) never
 * condenses by summary, so a summary cannot recurse into another.
 */
export interface Summariser {
  /** Whose conversation: the cache's scope (a summary is found again only for the same user). */
  scope: string;
  cache: SummaryCache;
  /** Summaries being written now, by cache key: identical concurrent requests share one call. */
  inFlight: Map<string, Promise<Result<string, string>>>;
  /** An autoselect on the way here judged the request private. */
  judgedPrivate: boolean;
  isPrivateRoute(route: string): boolean;
  /** The summariser route's answer to `messages`, or why there is none; never throws. */
  summarise(
    route: string,
    messages: PromptMessage[],
    opts: { maxTokens: number; timeoutMs: number; signal: ClientSignal },
  ): Promise<Result<string, string>>;
}

export interface SummariserRequest {
  user: SnapshotUser;
  principal: Principal;
  resolve: RouteResolver;
  hops: number;
  judgedPrivate: boolean;
}

/**
 * The summariser of one request. The call goes through the data plane's own routing path as the
 * request's user (callRouteText): the route's entries, cooldowns and timeouts apply, a budget
 * reservation is taken like for a request of its own, and it emits its own usage event (tokens and
 * cost, marked `condensation`), which feeds the tokens-per-minute windows and the budgets.
 */
export function createSummariser(env: {
  deps: ServeDeps;
  cache: SummaryCache;
  holds: BudgetHolds | null;
  inFlight: Map<string, Promise<Result<string, string>>>;
}) {
  return (r: SummariserRequest): Summariser => ({
    scope: r.user.id,
    cache: env.cache,
    inFlight: env.inFlight,
    judgedPrivate: r.judgedPrivate,
    isPrivateRoute: (route) => isPrivateRoute(r.resolve, r.user, route),
    async summarise(route, messages, opts) {
      const { deps } = env;
      const resolved = r.resolve(r.user, route);
      if (!resolved.ok) return err(resolved.error.message);
      // An autoselect would decide per request, on the transcript: not a summariser.
      if (resolved.value.kind === 'autoselect') return err(`"${route}" is an autoselect, not a summariser route`);
      const requestId = randomUUID();
      const startedAt = deps.clock();
      const body = { messages, max_tokens: opts.maxTokens };
      const held =
        env.holds === null
          ? null
          : await env.holds.reserve({
              requestId,
              principal: r.principal,
              body,
              promptChars: JSON.stringify(messages).length,
              resolution: resolved.value,
              now: startedAt,
            });
      if (held !== null && !held.ok) return err(held.error.message);
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), opts.timeoutMs);
      const unlisten = opts.signal.onAbort(() => abort.abort());
      try {
        const answer = await callRouteText(deps, {
          resolution: resolved.value,
          route,
          messages,
          params: { max_tokens: opts.maxTokens, temperature: 0 },
          hops: r.hops,
          signal: clientSignalFrom(abort.signal),
          callerIsAdmin: r.user.role === 'admin',
        });
        const served = answer.ok ? answer.served : null;
        const tokens = answer.ok && answer.usage !== null ? answer.usage : null;
        deps.usageSink.emit({
          ...usageRecord({
            at: startedAt,
            userId: r.user.id,
            tokenId: r.principal.token.id,
            route,
            status: answer.ok ? 200 : abort.signal.aborted ? 504 : 502,
            attempts: answer.attempts,
            autoselectReason: 'condensation',
          }),
          requestId,
          latencyMs: Math.max(0, deps.clock() - startedAt),
          promptTokens: tokens?.prompt ?? 0,
          completionTokens: tokens?.completion ?? 0,
          estimated: tokens === null,
          ...(served === null ? {} : { providerOwnerId: served.leaf.target.provider.ownerId }),
          costMicros:
            served === null || tokens === null
              ? 0
              : computeCostMicros(served.leaf.target.modelInfo?.pricing, {
                  promptTokens: tokens.prompt,
                  completionTokens: tokens.completion,
                  cachedPromptTokens: tokens.cached,
                }),
        });
        if (answer.ok) return answer.text.trim() === '' ? err(`${route} answered an empty summary`) : ok(answer.text);
        return err(
          abort.signal.aborted && !opts.signal.aborted
            ? `${route} did not answer within ${Math.round(opts.timeoutMs / 100) / 10} s`
            : answer.error.message,
        );
      } finally {
        clearTimeout(timer);
        unlisten();
        if (held !== null && held.ok && held.key !== null) env.holds?.release(held.key);
      }
    },
  });
}
