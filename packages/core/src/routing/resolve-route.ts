import { resolveTimeouts, type ResolvedTimeouts } from '../config/timeouts.schema';
import { err, ok, type Result } from '../result';
import type { SnapshotUser } from '../snapshot';
import { aliasesOf, matchAlias } from './alias-index';
import { formatRouteName, parseRouteName } from './route-name';
import {
  makeTarget,
  scopeKey,
  type IndexedAutoselect,
  type IndexedProvider,
  type IndexedRotation,
  type RouteTarget,
  type SnapshotIndex,
} from './snapshot-index';

/** Whose routes a request may use: the path's (or token's) user. */
export interface RouteCaller {
  user: SnapshotUser;
}

export type Resolution =
  | { kind: 'provider'; route: string; target: RouteTarget; timeouts: ResolvedTimeouts; problem: string | null }
  | IndexedRotation
  | IndexedAutoselect;

export type RouteError =
  | { kind: 'invalid'; message: string }
  | { kind: 'not-found'; message: string }
  /** The route exists but its configuration cannot serve (a rotation loop, too deep). */
  | { kind: 'config'; message: string };

const notFound = (name: string): { ok: false; error: RouteError } =>
  err({
    kind: 'not-found',
    message: `The model "${name}" does not exist or you do not have access to it; GET /models lists the route names you can use.`,
  });

/**
 * A route name → what serves it. A name that is no route (or no valid route name) may still be an
 * alias of one of the caller's routes, else of a global one (docs/clients.md "Route aliases").
 */
export function resolveRoute(index: SnapshotIndex, caller: RouteCaller, name: string): Result<Resolution, RouteError> {
  const direct = resolveName(index, caller, name);
  if (direct.ok || direct.error.kind === 'config' || index.aliases.size === 0) return direct;
  const aliased = matchAlias(index.aliases, caller.user.id, name);
  return aliased === null ? direct : ok(aliased);
}

function resolveName(index: SnapshotIndex, caller: RouteCaller, name: string): Result<Resolution, RouteError> {
  const parsed = parseRouteName(name);
  if (!parsed.ok) return err({ kind: 'invalid', message: `Invalid model "${name}": ${parsed.error}.` });
  const route = parsed.value;
  const userId = caller.user.id;
  const isAdmin = caller.user.role === 'admin';
  switch (route.kind) {
    case 'provider': {
      const p = index.providers.get(`${scopeKey(route.scope === 'user' ? userId : null)}|${route.providerId}`);
      if (p === undefined || (route.scope === 'global' && p.provider.adminOnly && !isAdmin)) return notFound(name);
      // A provider with a model list serves only those; one without (not yet discovered) takes any.
      if (p.models.size > 0 && !p.models.has(route.model)) return notFound(name);
      return ok({
        kind: 'provider',
        route: formatRouteName(route),
        target: makeTarget(p, route.model),
        timeouts: resolveTimeouts(p.provider.timeouts),
        problem: p.provider.enabled ? null : `provider "${route.providerId}" is disabled`,
      });
    }
    case 'rotation':
    case 'autoselect':
    case 'bare': {
      const own = route.kind === 'bare' || route.scope !== 'global' ? `${userId}|${route.id}` : null;
      const global = route.kind === 'bare' || route.scope !== 'user' ? `*|${route.id}` : null;
      for (const key of [own, global]) {
        if (key === null) continue;
        if (route.kind !== 'autoselect') {
          const r = index.rotations.get(key);
          if (r !== undefined)
            return r.configError === null
              ? ok(r)
              : err({ kind: 'config', message: `Route "${name}" is misconfigured: ${r.configError}.` });
        }
        if (route.kind !== 'rotation') {
          const a = index.autoselects.get(key);
          if (a !== undefined) return ok(a);
        }
      }
      return notFound(name);
    }
  }
}

/** Exactly the route names `caller` may call, canonical spelling, sorted (GET /models). */
export function listRoutes(index: SnapshotIndex, caller: RouteCaller): string[] {
  const userId = caller.user.id;
  const isAdmin = caller.user.role === 'admin';
  const names: string[] = [];
  const addProvider = (p: IndexedProvider, scope: 'user' | 'global'): void => {
    if (!p.provider.enabled) return;
    for (const model of p.models.keys())
      names.push(formatRouteName({ kind: 'provider', scope, providerId: p.provider.id, model }));
  };
  for (const p of index.providers.values()) {
    if (p.provider.ownerId === userId) addProvider(p, 'user');
    else if (p.provider.ownerId === null && (!p.provider.adminOnly || isAdmin)) addProvider(p, 'global');
  }
  for (const r of index.rotations.values()) {
    if (r.configError !== null) continue;
    if (r.ownerId === userId || r.ownerId === null) names.push(r.route);
  }
  for (const a of index.autoselects.values()) {
    if (a.ownerId === userId || a.ownerId === null) names.push(a.route);
  }
  return names.sort();
}

/**
 * The aliases `caller` may use, by the route each reaches (GET /models): the caller's own routes'
 * and the global ones', an own route's alias hiding a global one of the same spelling.
 */
export function listAliases(index: SnapshotIndex, caller: RouteCaller): Map<string, string[]> {
  const byRoute = new Map<string, string[]>();
  const taken = new Set<string>();
  const scopes = [caller.user.id, null];
  for (const scope of scopes)
    for (const target of [...index.rotations.values(), ...index.autoselects.values()]) {
      if (target.ownerId !== scope || (target.kind === 'rotation' && target.configError !== null)) continue;
      const free = aliasesOf(target).filter((a) => !taken.has(a));
      if (free.length === 0) continue;
      for (const a of free) taken.add(a);
      byRoute.set(target.route, [...(byRoute.get(target.route) ?? []), ...free]);
    }
  return byRoute;
}
