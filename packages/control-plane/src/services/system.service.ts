import { GatewayError, indexSnapshot, listRoutes } from '@aisbf/core';
import { getConfigVersion, listProviderHealth, listProviders, loadSnapshot } from '@aisbf/db';
import { isAdmin, type Actor } from './actor';
import { resolveOwner } from './owner-scope';
import type { ServiceContext } from './service-deps';
import type { NodeInfo } from '../ports';

export interface SystemOverview {
  configVersion: number;
  mode: 'all-in-one' | 'cluster';
  providers: { total: number; healthy: number; unhealthy: number };
  nodes: NodeInfo[];
}

export function createSystemService(ctx: ServiceContext) {
  const { db } = ctx;
  return {
    async overview(actor: Actor): Promise<SystemOverview> {
      const all = await listProviders(db);
      // The same set the providers list shows this actor (own and usable global ones), so the
      // counts never describe providers the page does not list (an admin's other users' included).
      const visible = all.filter(
        (p) => p.ownerId === actor.userId || (p.ownerId === null && (!p.adminOnly || isAdmin(actor))),
      );
      const health = await listProviderHealth(
        db,
        visible.map((p) => p.rowId),
      );
      let healthy = 0;
      let unhealthy = 0;
      for (const h of health.values()) {
        if (h.status === 'healthy') healthy++;
        else if (h.status === 'unhealthy') unhealthy++;
      }
      return {
        configVersion: (await getConfigVersion(db)).version,
        mode: ctx.mode ?? 'all-in-one',
        providers: { total: visible.length, healthy, unhealthy },
        nodes: isAdmin(actor) && ctx.listNodes ? await ctx.listNodes() : [],
      };
    },

    /** Exactly the route names the data plane lets this user call (what GET /models lists). */
    async routes(actor: Actor, input: { owner?: string | null } = {}): Promise<string[]> {
      const scope = await resolveOwner(db, actor, input.owner);
      if (scope.ownerId === null)
        throw new GatewayError('BAD_REQUEST', 'routes are listed for a user, not for the global scope', {
          path: 'owner',
        });
      const snapshot = await loadSnapshot(db);
      const user = snapshot.users.find((u) => u.id === scope.ownerId);
      if (user === undefined) return [];
      return listRoutes(indexSnapshot(snapshot), { user });
    },
  };
}

export type SystemService = ReturnType<typeof createSystemService>;
