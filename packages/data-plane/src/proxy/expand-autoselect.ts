import {
  GatewayError,
  type IndexedAutoselect,
  type Resolution,
  type SnapshotToken,
  type SnapshotUser,
} from '@aisbf/core';
import type { AutoselectRequestBody, Autoselector } from '../autoselect/index';
import type { AutoselectCtx } from './autoselect-bridge';
import type { RouteResolver } from './route-resolver';
import type { AutoselectExpansion } from './attempt-plan';

export interface ExpansionContext {
  resolve: RouteResolver;
  user: SnapshotUser;
  token: SnapshotToken;
  body: AutoselectRequestBody;
  hops: number;
}

/** A decision turned into routes to try; `first` names the chosen route (x-aisbf-route). */
export type Expansion = (AutoselectExpansion & { ok: true; first: string }) | (AutoselectExpansion & { ok: false });

/**
 * An autoselect's decision for one request (privacy first, then the selection model; docs/architecture.md "Autoselect"
 * "Autoselect") as the routes to try in order, resolved for the acting user. Autoselects among the
 * candidates are left out (an autoselect picks routes that serve, not other pickers). The same for
 * a route named by the client and for an autoselect met as a rotation entry.
 */
export async function expandAutoselect(
  autoselector: Autoselector<AutoselectCtx>,
  autoselect: IndexedAutoselect,
  ctx: ExpansionContext,
): Promise<Expansion> {
  const decision = await autoselector.decide(autoselect.autoselect, ctx.body, {
    resolve: ctx.resolve,
    user: ctx.user,
    token: ctx.token,
    hops: ctx.hops,
  });
  if (!decision.ok)
    return { ok: false, error: decision.error, findings: decision.findings, private: decision.findings.length > 0 };
  const routes: Resolution[] = [];
  for (const route of decision.routes) {
    const r = ctx.resolve(ctx.user, route);
    if (r.ok && r.value.kind !== 'autoselect') routes.push(r.value);
  }
  const [chosen, ...rest] = routes;
  if (chosen === undefined) {
    return {
      ok: false,
      error: new GatewayError(
        'NO_HEALTHY_TARGET',
        `Autoselect "${autoselect.route}" has no candidate route this user can call.`,
        { wireCode: 'no_healthy_target' },
      ),
      findings: decision.findings,
      private: decision.private,
    };
  }
  return {
    ok: true,
    routes: [chosen, ...rest],
    reason: decision.reason,
    findings: decision.findings,
    private: decision.private,
    first: decision.routes[0] ?? chosen.route,
  };
}
