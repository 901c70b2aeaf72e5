import {
  GatewayError,
  type PromptMessage,
  type SnapshotToken,
  type SnapshotUser,
  type UsageAttempt,
} from '@aisbf/core';
import { clientSignalFrom, NEVER_ABORTED } from '../http/client-signal';
import type { RouteResolver } from './route-resolver';
import type { AttemptDeps } from './attempt-plan';
import { callRouteText } from './call-route-text';

/** What an autoselect decision needs to know about the request it decides for. */
export interface AutoselectCtx {
  /** The request's snapshot, memoised (route-resolver.ts): candidates resolve once per snapshot. */
  resolve: RouteResolver;
  user: SnapshotUser;
  token: SnapshotToken;
  /** The request's hop count: the selection call is an upstream request of that request. */
  hops: number;
}

/**
 * A private route (docs/autoselect.md): one that resolves, for this user, to a rotation marked
 * `privacy: true`. A private conversation goes only there (autoselect candidates, the selection
 * model, the condensation summariser).
 */
export function isPrivateRoute(resolve: RouteResolver, user: SnapshotUser, route: string): boolean {
  const resolved = resolve(user, route);
  return resolved.ok && resolved.value.kind === 'rotation' && resolved.value.rotation.config.privacy;
}

/**
 * The two seams the autoselector (packages/data-plane/src/autoselect, another owner) needs from
 * the proxy: asking the selection model through the same proxy loop as any request, and whether
 * a route is private according to the snapshot.
 */
export function createAutoselectBridge(
  deps: AttemptDeps & {
    onSelectionAttempts?: (route: string, ctx: AutoselectCtx, attempts: UsageAttempt[], ok: boolean) => void;
  },
) {
  return {
    async callSelectionModel(
      route: string,
      messages: PromptMessage[],
      opts: { timeoutMs: number; signal?: AbortSignal; ctx: AutoselectCtx | undefined },
    ): Promise<string> {
      const ctx = opts.ctx;
      if (ctx === undefined) throw new Error('autoselect context missing');
      const resolved = ctx.resolve(ctx.user, route);
      if (!resolved.ok) throw new GatewayError('NOT_FOUND', resolved.error.message);
      // A selection model that is itself an autoselect would recurse: refused (falls back).
      if (resolved.value.kind === 'autoselect')
        throw new GatewayError('BAD_REQUEST', `selection_model "${route}" is an autoselect`);
      const answer = await callRouteText(deps, {
        resolution: resolved.value,
        route,
        messages,
        params: { temperature: 0 },
        hops: ctx.hops,
        signal: opts.signal === undefined ? NEVER_ABORTED : clientSignalFrom(opts.signal),
        callerIsAdmin: ctx.user.role === 'admin',
      });
      deps.onSelectionAttempts?.(route, ctx, answer.attempts, answer.ok);
      if (!answer.ok) throw answer.error;
      return answer.text;
    },
    isPrivateRoute(route: string, _autoselect: unknown, ctx: AutoselectCtx | undefined): boolean {
      if (ctx === undefined) return false;
      return isPrivateRoute(ctx.resolve, ctx.user, route);
    },
  };
}
