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
import type { RecentUsage } from './read-traffic';

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

/** The rotations a usage record's route may name (a bare id may be a rotation too). */
function rotationKeys(usage: RecentUsage): ScopedKey[] {
  const route = parseRouteName(usage.route);
  if (!route.ok) return [];
  if (route.value.kind === 'rotation') return scopes(usage.userId, route.value.scope, route.value.id);
  if (route.value.kind === 'bare') return scopes(usage.userId, 'any', route.value.id);
  return [];
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
 * usage names (served, or tried), those in a rotation recent requests called (a standby entry must
 * be known good before it is needed), and those still carrying a verdict (to lift it once idle).
 * Everything is looked up by key, so the cost follows recent traffic, never the number of sign-ups.
 */
export async function findActiveProviders(db: Db, usage: ReadonlyArray<RecentUsage>): Promise<ActiveProviders> {
  const keys: ScopedKey[] = [];
  const rotations: ScopedKey[] = [];
  for (const record of usage) {
    if (record.provider !== null) keys.push({ ownerId: record.providerOwnerId, id: record.provider });
    for (const attempt of record.attempts) keys.push(...scopes(record.userId, 'any', attempt.provider));
    rotations.push(...rotationKeys(record));
  }
  for (const rotation of await findRouteConfigsByKeys(db, 'rotations', rotations))
    for (const slug of entryProviders(rotation.config))
      // A global rotation may only name global providers (docs/control-plane.md).
      keys.push(...(rotation.ownerId === null ? [{ ownerId: null, id: slug }] : scopes(rotation.ownerId, 'any', slug)));
  const used = await findProvidersByKeys(db, keys);
  const usedRows = new Set(used.map((p) => p.rowId));
  const marked = (await listMarkedProviderRowIds(db)).filter((rowId) => !usedRows.has(rowId));
  const idle = await findProvidersByRowIds(db, marked);
  return { providers: [...used, ...idle], idle: new Set(idle.map((p) => p.rowId)) };
}
