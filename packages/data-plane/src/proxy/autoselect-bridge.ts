import {
  GatewayError,
  safeJsonParse,
  type PromptMessage,
  type SnapshotToken,
  type SnapshotUser,
  type UsageAttempt,
} from '@aisbf/core';
import { clientSignalFrom, NEVER_ABORTED } from '../http/client-signal';
import type { RouteResolver } from './route-resolver';
import type { AttemptDeps } from './attempt-plan';
import { runAttempts } from './run-attempts';

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
      const attempts: UsageAttempt[] = [];
      const result = await runAttempts(deps, {
        resolution: resolved.value,
        upstreamPath: '/chat/completions',
        body: { model: route, messages, stream: false, temperature: 0 },
        stream: false,
        startedAt: deps.clock(),
        hops: ctx.hops,
        clientSignal: opts.signal === undefined ? NEVER_ABORTED : clientSignalFrom(opts.signal),
        selection: {
          state: deps.state,
          health: deps.health,
          now: deps.clock(),
          random: deps.random,
          excluded: new Set(),
          minContext: null,
          requirePrefill: false,
          usedEarliest: false,
          callerIsAdmin: ctx.user.role === 'admin',
        },
        attempts,
      });
      deps.onSelectionAttempts?.(route, ctx, attempts, result.ok);
      if (!result.ok) throw result.error;
      result.served.release();
      const parsed = safeJsonParse(result.served.body?.toString('utf8') ?? '');
      const content = parsed.ok
        ? (parsed.value as { choices?: Array<{ message?: { content?: unknown } }> }).choices?.[0]?.message?.content
        : undefined;
      if (typeof content !== 'string')
        throw new GatewayError('UPSTREAM_ERROR', 'the selection model answered without text');
      return content;
    },
    isPrivateRoute(route: string, _autoselect: unknown, ctx: AutoselectCtx | undefined): boolean {
      if (ctx === undefined) return false;
      const resolved = ctx.resolve(ctx.user, route);
      return resolved.ok && resolved.value.kind === 'rotation' && resolved.value.rotation.config.privacy;
    },
  };
}
