import {
  formatPath,
  parseRouteName,
  rotationEntries,
  type AutoselectConfig,
  type ConfigIssue,
  type RotationConfig,
} from '@aisbf/core';
import { listProviders, listRouteConfigs, type Db, type StoredProvider } from '@aisbf/db';

/**
 * Write-time reference checks (a rotation naming an unknown provider is a typed error at write time, not a runtime
 * surprise; docs/control-plane.md). Names resolve as the data plane resolves them for the owner: their own
 * resources first, then the global ones; a global resource may only name global ones.
 */
export interface ReferenceIndex {
  ownerId: string | null;
  providers: Map<string, StoredProvider>;
  globalProviders: Map<string, StoredProvider>;
  rotations: Set<string>;
  globalRotations: Set<string>;
  autoselects: Set<string>;
  globalAutoselects: Set<string>;
}

/** `ownerIsAdmin`: admin-restricted global providers are visible to admins' (and global) routes only. */
export async function loadReferenceIndex(
  trx: Db,
  ownerId: string | null,
  ownerIsAdmin = ownerId === null,
): Promise<ReferenceIndex> {
  const ids = (items: Array<{ id: string }>): Set<string> => new Set(items.map((i) => i.id));
  const globalProviders = new Map(
    (await listProviders(trx, null)).filter((p) => ownerIsAdmin || !p.adminOnly).map((p) => [p.id, p]),
  );
  const globalRotations = ids(await listRouteConfigs(trx, 'rotations', null));
  const globalAutoselects = ids(await listRouteConfigs(trx, 'autoselects', null));
  if (ownerId === null)
    return {
      ownerId,
      providers: new Map(),
      globalProviders,
      rotations: new Set(),
      globalRotations,
      autoselects: new Set(),
      globalAutoselects,
    };
  return {
    ownerId,
    providers: new Map((await listProviders(trx, ownerId)).map((p) => [p.id, p])),
    globalProviders,
    rotations: ids(await listRouteConfigs(trx, 'rotations', ownerId)),
    globalRotations,
    autoselects: ids(await listRouteConfigs(trx, 'autoselects', ownerId)),
    globalAutoselects,
  };
}

function modelProblem(provider: StoredProvider, model: string): string | null {
  if (provider.models.length === 0 || provider.models.some((m) => m.name === model)) return null;
  const known = provider.models
    .slice(0, 10)
    .map((m) => m.name)
    .join(', ');
  return `provider "${provider.id}" has no model "${model}" (it lists: ${known}${provider.models.length > 10 ? ', …' : ''})`;
}

/** Why `route` does not resolve for the index's owner, or null when it does. */
export function routeProblem(index: ReferenceIndex, route: string): string | null {
  const parsed = parseRouteName(route);
  if (!parsed.ok) return `"${route}" is not a valid route name: ${parsed.error}`;
  const r = parsed.value;
  const userScoped = index.ownerId !== null;
  switch (r.kind) {
    case 'provider': {
      if (r.scope === 'user' && !userScoped)
        return `"${route}" names a user's provider; a global route may only use global providers (provider/{id}/{model})`;
      const provider = (r.scope === 'user' ? index.providers : index.globalProviders).get(r.providerId);
      if (provider === undefined)
        return `${r.scope === 'user' ? 'your' : 'global'} provider "${r.providerId}" does not exist`;
      return modelProblem(provider, r.model);
    }
    case 'rotation':
    case 'autoselect':
    case 'bare': {
      const own = r.kind === 'bare' || r.scope !== 'global';
      const global = r.kind === 'bare' || r.scope !== 'user';
      if (own && !userScoped && r.kind !== 'bare' && r.scope === 'user')
        return `"${route}" names a user's route; a global route may only use global ones`;
      const hasRotation =
        r.kind !== 'autoselect' && ((own && index.rotations.has(r.id)) || (global && index.globalRotations.has(r.id)));
      const hasAutoselect =
        r.kind !== 'rotation' &&
        ((own && index.autoselects.has(r.id)) || (global && index.globalAutoselects.has(r.id)));
      if (hasRotation || hasAutoselect) return null;
      const what = r.kind === 'bare' ? 'rotation or autoselect' : r.kind;
      return `${what} "${r.id}" does not exist`;
    }
  }
}

export function rotationReferenceIssues(
  index: ReferenceIndex,
  config: RotationConfig,
  prefix: ReadonlyArray<PropertyKey>,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const entry of rotationEntries(config)) {
    const base = [...prefix, ...entry.path];
    if (entry.kind === 'provider' || entry.kind === 'provider-models') {
      const provider = index.providers.get(entry.providerId) ?? index.globalProviders.get(entry.providerId);
      if (provider === undefined)
        issues.push({
          path: formatPath([...prefix, ...entry.path.slice(0, 2), 'provider_id']),
          message: `provider "${entry.providerId}" does not exist`,
        });
      else if (entry.kind === 'provider') {
        const problem = modelProblem(provider, entry.model);
        const key = entry.path.length > 2 ? 'name' : 'model';
        if (problem !== null) issues.push({ path: formatPath([...base, key]), message: problem });
      }
    } else {
      const problem = routeProblem(index, entry.route);
      if (problem !== null)
        issues.push({
          path: formatPath([...base, entry.path[0] === 'providers' ? 'route' : 'name']),
          message: problem,
        });
    }
  }
  // A missing provider is reported once per entry, not once per model of its `models` list.
  const seen = new Set<string>();
  return issues.filter((issue) => !seen.has(issue.path) && seen.add(issue.path));
}

/**
 * `fallback` and every candidate must resolve. An unresolved `selection_model` is a warning only:
 * at run time a failing selection falls back (docs/architecture.md "Data plane API"), and the seed's document names a
 * `general` selection model the guide never defines.
 */
export function autoselectReferenceIssues(
  index: ReferenceIndex,
  config: AutoselectConfig,
  prefix: ReadonlyArray<PropertyKey>,
): { issues: ConfigIssue[]; warnings: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const fallback = routeProblem(index, config.fallback);
  if (fallback !== null) issues.push({ path: formatPath([...prefix, 'fallback']), message: fallback });
  config.available_models.forEach((candidate, i) => {
    const problem = routeProblem(index, candidate.model_id);
    if (problem !== null)
      issues.push({ path: formatPath([...prefix, 'available_models', i, 'model_id']), message: problem });
  });
  if (config.classify_semantic && config.selection_model !== undefined) {
    const problem = routeProblem(index, config.selection_model);
    if (problem !== null)
      warnings.push({
        path: formatPath([...prefix, 'selection_model']),
        message: `${problem}; requests will use the fallback until it exists`,
      });
  }
  return { issues, warnings };
}
