import type { ProviderModel } from '../config/provider-config.schema';
import { rotationEntries, type RotationEntry } from '../config/rotation-config.schema';
import { resolveTimeouts, type ResolvedTimeouts } from '../config/timeouts.schema';
import { defaultLimitsOf, type ModelLimits } from '../config/context-keys.schema';
import { providerModelLimits, resolveLimits } from '../context/resolve-limits';
import type {
  Snapshot,
  SnapshotAutoselect,
  SnapshotProvider,
  SnapshotRotation,
  SnapshotToken,
  SnapshotUser,
} from '../snapshot';
import { indexAliases, type AliasIndex } from './alias-index';
import { formatRouteName, parseRouteName } from './route-name';

/**
 * Everything the data plane looks up per request, built once per snapshot (docs/data-plane.md, "Decisions":
 * no work at request time that could have been done at `setSnapshot`). Rotation entries are
 * resolved here too, in their owner's scope, so loops are found before any request arrives.
 */
export interface SnapshotIndex {
  readonly version: number;
  readonly snapshot: Snapshot;
  readonly tokensByHash: ReadonlyMap<string, { token: SnapshotToken; user: SnapshotUser }>;
  readonly usersByName: ReadonlyMap<string, SnapshotUser>;
  readonly usersById: ReadonlyMap<string, SnapshotUser>;
  /** Key: `scopeKey(ownerId)|providerId`. */
  readonly providers: ReadonlyMap<string, IndexedProvider>;
  readonly rotations: ReadonlyMap<string, IndexedRotation>;
  readonly autoselects: ReadonlyMap<string, IndexedAutoselect>;
  /** Route aliases by scope (alias-index.ts). */
  readonly aliases: AliasIndex;
}

export interface IndexedProvider {
  readonly provider: SnapshotProvider;
  /** `scopeKey|providerId`: pools and provider-wide concurrency are keyed by it. */
  readonly key: string;
  readonly models: ReadonlyMap<string, ProviderModel>;
}

/** One provider model as a place to send a request. */
export interface RouteTarget {
  /** Cooldown key `(owner scope, provider, model)`: a user's provider never cools a global one. */
  readonly key: string;
  readonly provider: SnapshotProvider;
  readonly providerKey: string;
  /** Sent upstream verbatim. */
  readonly model: string;
  readonly modelInfo: ProviderModel | undefined;
}

export interface IndexedEntry {
  readonly entry: RotationEntry;
  /** A provider-model leaf, or null for a route entry / an unresolvable one. */
  readonly target: RouteTarget | null;
  /** A nested rotation or autoselect (AISBF's meta entries). */
  readonly nested: IndexedRotation | IndexedAutoselect | null;
  /** Why this entry can never serve (missing provider, disabled, …); null when usable. */
  readonly problem: string | null;
  readonly contextWindow: number | undefined;
  readonly prefill: boolean;
  /** Provider, then rotation, then entry levels merged. */
  readonly timeouts: ResolvedTimeouts;
  /**
   * Context keys resolved down to the rotation's defaults (docs/context.md "Order of resolution");
   * an autoselect above the rotation fills what is still unset, per request.
   */
  readonly limits: ModelLimits;
}

export interface IndexedRotation {
  readonly kind: 'rotation';
  readonly ownerId: string | null;
  readonly id: string;
  /** Canonical route name, e.g. `user-rotation/coding-production`. */
  readonly route: string;
  readonly rotation: SnapshotRotation;
  readonly entries: ReadonlyArray<IndexedEntry>;
  /** A configuration error that makes the whole rotation unusable (a loop, too deep). */
  readonly configError: string | null;
  /** Rotation-level timeouts, for the request budget. */
  readonly timeouts: ResolvedTimeouts;
}

export interface IndexedAutoselect {
  readonly kind: 'autoselect';
  readonly ownerId: string | null;
  readonly id: string;
  readonly route: string;
  readonly autoselect: SnapshotAutoselect;
}

/** Rotations may nest this deep (a → b → c → d); deeper is a configuration error. */
export const MAX_ROUTE_DEPTH = 4;

export const scopeKey = (ownerId: string | null): string => (ownerId === null ? '*' : ownerId);
const ownedKey = (ownerId: string | null, id: string): string => `${scopeKey(ownerId)}|${id}`;

/**
 * `base` (docs/cluster.md "Partitioned propagation"): the index of the global part, which this
 * snapshot (one user's part) is laid over. Only the snapshot's own resources are indexed; lookups
 * fall through to `base`, whose rotations are already built, so a user's index costs the size of
 * the user's part, not of the global config.
 */
export function indexSnapshot(snapshot: Snapshot, base?: SnapshotIndex): SnapshotIndex {
  const usersById = new Map(snapshot.users.map((u) => [u.id, u] as const));
  const usersByName = new Map(snapshot.users.map((u) => [u.username, u] as const));
  const tokensByHash = new Map<string, { token: SnapshotToken; user: SnapshotUser }>();
  for (const token of snapshot.tokens) {
    const user = usersById.get(token.userId);
    if (user !== undefined) tokensByHash.set(token.hash, { token, user });
  }
  const ownProviders = new Map<string, IndexedProvider>();
  for (const provider of snapshot.providers) {
    const key = ownedKey(provider.ownerId, provider.id);
    ownProviders.set(key, { provider, key, models: new Map(provider.models.map((m) => [m.name, m] as const)) });
  }
  const ownAutoselects = new Map<string, IndexedAutoselect>();
  for (const a of snapshot.autoselects) {
    ownAutoselects.set(ownedKey(a.ownerId, a.id), {
      kind: 'autoselect',
      ownerId: a.ownerId,
      id: a.id,
      route: formatRouteName({ kind: 'autoselect', scope: a.ownerId === null ? 'global' : 'user', id: a.id }),
      autoselect: a,
    });
  }
  const providers = layered(ownProviders, base?.providers);
  const autoselects = layered(ownAutoselects, base?.autoselects);
  const ownRaw = new Map(snapshot.rotations.map((r) => [ownedKey(r.ownerId, r.id), r] as const));
  const ownRotations = new Map<string, IndexedRotation>();
  const builder: Builder = {
    providers,
    autoselects,
    hasRaw: (key) => ownRaw.has(key) || (base?.rotations.has(key) ?? false),
    getRaw: (key) => ownRaw.get(key) ?? base?.rotations.get(key)?.rotation,
    built: (key) => ownRotations.get(key) ?? base?.rotations.get(key),
    ownRotations,
    usersById,
  };
  for (const key of ownRaw.keys()) buildRotation(builder, key, []);
  const ownAliases = indexAliases([...ownRotations.values(), ...ownAutoselects.values()]);
  return {
    version: Math.max(snapshot.version, base?.version ?? -1),
    snapshot,
    tokensByHash,
    usersByName,
    usersById,
    providers,
    rotations: layered(ownRotations, base?.rotations),
    autoselects,
    // Laid over the base's, not copied from it: a user's index costs its own part, not the global one.
    aliases: layered(ownAliases, base?.aliases),
  };
}

/**
 * `own` in front of `base` (keys never collide: they are prefixed by their owner's scope). A class,
 * not an object of closures: every held user part's index keeps up to four of these, and the
 * methods are then shared (docs/cluster.md "What a node holds").
 */
function layered<V>(own: ReadonlyMap<string, V>, base: ReadonlyMap<string, V> | undefined): ReadonlyMap<string, V> {
  if (base === undefined || base.size === 0) return own;
  if (own.size === 0) return base;
  return new LayeredMap(own, base);
}

class LayeredMap<V> implements ReadonlyMap<string, V> {
  constructor(
    private readonly own: ReadonlyMap<string, V>,
    private readonly base: ReadonlyMap<string, V>,
  ) {}
  get(key: string): V | undefined {
    return this.own.get(key) ?? this.base.get(key);
  }
  has(key: string): boolean {
    return this.own.has(key) || this.base.has(key);
  }
  get size(): number {
    return this.own.size + this.base.size;
  }
  *entries(): MapIterator<[string, V]> {
    yield* this.base.entries();
    yield* this.own.entries();
  }
  *keys(): MapIterator<string> {
    for (const [key] of this.entries()) yield key;
  }
  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }
  forEach(fn: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void {
    for (const [key, value] of this.entries()) fn(value, key, this);
  }
  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }
}

interface Builder {
  providers: ReadonlyMap<string, IndexedProvider>;
  autoselects: ReadonlyMap<string, IndexedAutoselect>;
  hasRaw(key: string): boolean;
  getRaw(key: string): SnapshotRotation | undefined;
  /** A rotation already built (own, or the base index's). */
  built(key: string): IndexedRotation | undefined;
  ownRotations: Map<string, IndexedRotation>;
  usersById: Map<string, SnapshotUser>;
}

function buildRotation(b: Builder, key: string, stack: string[]): IndexedRotation {
  const done = b.built(key);
  if (done !== undefined) return done;
  const raw = b.getRaw(key)!;
  const route = formatRouteName({ kind: 'rotation', scope: raw.ownerId === null ? 'global' : 'user', id: raw.id });
  const timeouts = resolveTimeouts(raw.config);
  const chain = [...stack, route];
  const entries: IndexedEntry[] = [];
  let configError: string | null = null;
  const owner = raw.ownerId === null ? null : (b.usersById.get(raw.ownerId) ?? null);
  for (const entry of rotationEntries(raw.config)) {
    if (entry.kind === 'provider-models') {
      // AISBF's entry without `models`: each model the provider lists, at the entry's weight.
      const provider = lookupProvider(b.providers, raw.ownerId, owner?.role === 'admin', entry.providerId);
      const missing = `provider "${entry.providerId}" does not exist in this rotation's scope`;
      if (provider === undefined || provider.provider.models.length === 0) {
        entries.push(
          deadEntry(entry, raw, provider === undefined ? missing : `provider "${entry.providerId}" lists no models`),
        );
        continue;
      }
      for (const m of provider.provider.models)
        entries.push(providerEntry({ ...entry, kind: 'provider', model: m.name }, provider, raw, missing));
      continue;
    }
    if (entry.kind === 'provider') {
      const provider = lookupProvider(b.providers, raw.ownerId, owner?.role === 'admin', entry.providerId);
      entries.push(
        providerEntry(entry, provider, raw, `provider "${entry.providerId}" does not exist in this rotation's scope`),
      );
      continue;
    }
    const parsed = parseRouteName(entry.route);
    if (!parsed.ok) {
      entries.push(deadEntry(entry, raw, `route "${entry.route}": ${parsed.error}`));
      continue;
    }
    const name = parsed.value;
    if (name.kind === 'provider') {
      const provider =
        name.scope === 'user'
          ? raw.ownerId === null
            ? undefined
            : b.providers.get(ownedKey(raw.ownerId, name.providerId))
          : lookupGlobal(b.providers, name.providerId, owner?.role === 'admin');
      entries.push(
        providerEntry(
          { ...entry, kind: 'provider', providerId: name.providerId, model: name.model },
          provider,
          raw,
          `route "${entry.route}" names no usable provider`,
        ),
      );
      continue;
    }
    const nestedKey = findOwned(
      name.kind === 'bare' ? 'any' : name.scope,
      raw.ownerId,
      name.id,
      (k) => (name.kind !== 'autoselect' && b.hasRaw(k)) || (name.kind !== 'rotation' && b.autoselects.has(k)),
    );
    if (nestedKey === null) {
      entries.push(deadEntry(entry, raw, `route "${entry.route}" does not exist in this rotation's scope`));
      continue;
    }
    if (name.kind !== 'autoselect' && b.hasRaw(nestedKey)) {
      const nestedRoute = formatRouteName({
        kind: 'rotation',
        scope: nestedKey.startsWith('*|') ? 'global' : 'user',
        id: name.id,
      });
      if (chain.includes(nestedRoute) || nestedKey === key) {
        configError = `rotation loop: ${[...chain, nestedRoute].join(' → ')}`;
        break;
      }
      if (chain.length >= MAX_ROUTE_DEPTH) {
        configError = `rotations nest deeper than ${MAX_ROUTE_DEPTH}: ${[...chain, nestedRoute].join(' → ')}`;
        break;
      }
      const nested = buildRotation(b, nestedKey, chain);
      if (nested.configError !== null) {
        configError = nested.configError;
        break;
      }
      entries.push({
        entry,
        target: null,
        nested,
        problem: null,
        contextWindow: entry.contextWindow,
        prefill: entry.prefill ?? false,
        timeouts: resolveTimeouts(raw.config, entry.timeouts),
        limits: resolveLimits(entry.limits, defaultLimitsOf(raw.config)),
      });
      continue;
    }
    const auto = b.autoselects.get(nestedKey)!;
    entries.push({
      entry,
      target: null,
      nested: auto,
      problem: null,
      contextWindow: entry.contextWindow,
      prefill: entry.prefill ?? false,
      timeouts: resolveTimeouts(raw.config, entry.timeouts),
      limits: resolveLimits(entry.limits, defaultLimitsOf(raw.config)),
    });
  }
  const indexed: IndexedRotation = {
    kind: 'rotation',
    ownerId: raw.ownerId,
    id: raw.id,
    route,
    rotation: raw,
    entries,
    configError,
    timeouts,
  };
  // Only memoize complete results: a rotation reached through a loop is rebuilt from its own root.
  if (stack.length === 0 || configError === null) b.ownRotations.set(key, indexed);
  return indexed;
}

function findOwned(
  scope: 'user' | 'global' | 'any',
  ownerId: string | null,
  id: string,
  exists: (key: string) => boolean,
): string | null {
  if (scope !== 'global' && ownerId !== null && exists(ownedKey(ownerId, id))) return ownedKey(ownerId, id);
  if (scope !== 'user' && exists(ownedKey(null, id))) return ownedKey(null, id);
  return null;
}

function lookupGlobal(
  providers: ReadonlyMap<string, IndexedProvider>,
  providerId: string,
  isAdmin: boolean,
): IndexedProvider | undefined {
  const p = providers.get(ownedKey(null, providerId));
  return p !== undefined && (!p.provider.adminOnly || isAdmin) ? p : undefined;
}

/** A rotation's `provider_id` is the owner's own provider, else a global one. */
function lookupProvider(
  providers: ReadonlyMap<string, IndexedProvider>,
  ownerId: string | null,
  isAdmin: boolean,
  providerId: string,
): IndexedProvider | undefined {
  if (ownerId !== null) {
    const own = providers.get(ownedKey(ownerId, providerId));
    if (own !== undefined) return own;
  }
  return lookupGlobal(providers, providerId, ownerId === null || isAdmin);
}

export function makeTarget(p: IndexedProvider, model: string): RouteTarget {
  return { key: `${p.key}|${model}`, provider: p.provider, providerKey: p.key, model, modelInfo: p.models.get(model) };
}

function providerEntry(
  entry: RotationEntry & { kind: 'provider' },
  p: IndexedProvider | undefined,
  raw: SnapshotRotation,
  missing: string,
): IndexedEntry {
  if (p === undefined) return deadEntry(entry, raw, missing);
  const target = makeTarget(p, entry.model);
  const problem = !p.provider.enabled ? `provider "${p.provider.id}" is disabled` : null;
  const limits = resolveLimits(
    entry.limits,
    providerModelLimits(target.modelInfo),
    p.provider.limits,
    defaultLimitsOf(raw.config),
  );
  return {
    entry,
    target,
    nested: null,
    problem,
    contextWindow: limits.contextSize,
    prefill: entry.prefill ?? target.modelInfo?.prefill ?? false,
    timeouts: resolveTimeouts(p.provider.timeouts, raw.config, entry.timeouts),
    limits,
  };
}

function deadEntry(entry: RotationEntry, raw: SnapshotRotation, problem: string): IndexedEntry {
  return {
    entry,
    target: null,
    nested: null,
    problem,
    contextWindow: undefined,
    prefill: false,
    timeouts: resolveTimeouts(raw.config, entry.timeouts),
    limits: {},
  };
}
