import { parseRouteName } from '@aisbf/core';
import {
  findProvidersByKeys,
  findProvidersByRowIds,
  findRouteConfigsByKeys,
  listMarkedProviderRowIds,
  type Db,
  type ScopedKey,
  type StoredProvider,
} from '@aisbf/db';
import type { RecentTraffic } from './read-traffic';

export interface ActiveProviders {
  /** Every provider to judge this run. */
  providers: StoredProvider[];
  /** Row ids of those judged only because they still carry a mark: idle now, never probed, their marks lifted. */
  idle: ReadonlySet<string>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The caller's own resource of that slug, the global one, or both when the route name leaves it open. */
function scopes(userId: string, scope: 'user' | 'global' | 'any', id: string): ScopedKey[] {
  if (scope === 'user') return [{ ownerId: userId, id }];
  if (scope === 'global') return [{ ownerId: null, id }];
  return [
    { ownerId: userId, id },
    { ownerId: null, id },
  ];
}

interface RouteTargets {
  providers: ScopedKey[];
  rotations: ScopedKey[];
  autoselects: ScopedKey[];
}

/**
 * What a route name may reach, resolved for `ownerId` (the caller, or the owner of the config
 * naming it; null = a global config, which may only name global resources, docs/control-plane.md).
 */
function addRoute(into: RouteTargets, ownerId: string | null, name: string): void {
  const route = parseRouteName(name);
  if (!route.ok) return;
  const r = route.value;
  const keys = (scope: 'user' | 'global' | 'any', id: string): ScopedKey[] =>
    ownerId === null ? (scope === 'user' ? [] : [{ ownerId: null, id }]) : scopes(ownerId, scope, id);
  if (r.kind === 'provider') into.providers.push(...keys(r.scope, r.providerId));
  else if (r.kind === 'rotation') into.rotations.push(...keys(r.scope, r.id));
  else if (r.kind === 'autoselect') into.autoselects.push(...keys(r.scope, r.id));
  else {
    into.rotations.push(...keys('any', r.id));
    into.autoselects.push(...keys('any', r.id));
  }
}

/** Route names an autoselect may send a request to: its candidates, its fallback, its selection model. */
function autoselectRoutes(config: unknown): string[] {
  if (!isRecord(config)) return [];
  const candidates = Array.isArray(config['available_models']) ? config['available_models'] : [];
  const names = candidates.flatMap((c) => (isRecord(c) && typeof c['model_id'] === 'string' ? [c['model_id']] : []));
  for (const key of ['fallback', 'selection_model']) if (typeof config[key] === 'string') names.push(config[key]);
  return names;
}

/** Provider slugs a rotation's entries name (entries naming another route are followed no further). */
function entryProviders(config: unknown): string[] {
  if (!isRecord(config) || !Array.isArray(config['providers'])) return [];
  return config['providers'].flatMap((entry) =>
    isRecord(entry) && typeof entry['provider_id'] === 'string' ? [entry['provider_id']] : [],
  );
}

/**
 * The providers worth the health job's attention (docs/jobs.md "Only what is used"): those recent
 * usage names (served, or tried), those in a rotation recent requests called, directly or through
 * an autoselect (a standby entry must be known good before it is needed), and those still
 * carrying a verdict (to lift it once idle).
 * Everything is looked up by key, so the cost follows recent traffic, never the number of sign-ups.
 */
export async function findActiveProviders(db: Db, traffic: RecentTraffic): Promise<ActiveProviders> {
  const targets: RouteTargets = { providers: [...traffic.served.values()], rotations: [], autoselects: [] };
  for (const [userId, caller] of traffic.callers) {
    for (const slug of caller.tried) targets.providers.push(...scopes(userId, 'any', slug));
    for (const route of caller.routes) addRoute(targets, userId, route);
  }
  // An autoselect called leads one level further: the rotations and providers it may pick (an
  // autoselect it names is not followed further). Lookups are by key; duplicates are dropped there.
  for (const autoselect of await findRouteConfigsByKeys(db, 'autoselects', targets.autoselects))
    for (const name of autoselectRoutes(autoselect.config)) addRoute(targets, autoselect.ownerId, name);
  for (const rotation of await findRouteConfigsByKeys(db, 'rotations', targets.rotations))
    for (const slug of entryProviders(rotation.config))
      // A global rotation may only name global providers (docs/control-plane.md).
      targets.providers.push(
        ...(rotation.ownerId === null ? [{ ownerId: null, id: slug }] : scopes(rotation.ownerId, 'any', slug)),
      );
  const used = await findProvidersByKeys(db, targets.providers);
  const usedRows = new Set(used.map((p) => p.rowId));
  const marked = (await listMarkedProviderRowIds(db)).filter((rowId) => !usedRows.has(rowId));
  const idle = await findProvidersByRowIds(db, marked);
  return { providers: [...used, ...idle], idle: new Set(idle.map((p) => p.rowId)) };
}
