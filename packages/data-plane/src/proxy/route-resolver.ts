import {
  resolveRoute,
  type Resolution,
  type Result,
  type RouteError,
  type SnapshotIndex,
  type SnapshotUser,
} from '@aisbf/core';

/** `resolveRoute` for one snapshot, memoised per user and route name. */
export type RouteResolver = (user: SnapshotUser, name: string) => Result<Resolution, RouteError>;

/** Resolutions kept at most per snapshot; past it the memo starts over. */
const MEMO_LIMIT = 20_000;

/**
 * The snapshot index is immutable, so a route name resolves to the same Resolution for a user
 * until the next snapshot (docs/architecture.md "Propagation"): the parse, the map lookups and, for provider routes, the
 * target and its timeouts are computed once instead of on every request (docs/data-plane.md).
 * Only successes are kept (unknown names from clients cannot grow it); a new snapshot gets a new
 * resolver. Callers never mutate a Resolution (attempts build their own Leaf objects).
 */
export function createRouteResolver(index: SnapshotIndex): RouteResolver {
  let byUser = new Map<string, Map<string, Result<Resolution, RouteError>>>();
  let size = 0;
  return (user, name) => {
    let names = byUser.get(user.id);
    const known = names?.get(name);
    if (known !== undefined) return known;
    const resolved = resolveRoute(index, { user }, name);
    if (!resolved.ok) return resolved;
    if (size >= MEMO_LIMIT) {
      byUser = new Map();
      names = undefined;
      size = 0;
    }
    if (names === undefined) {
      names = new Map();
      byUser.set(user.id, names);
    }
    names.set(name, resolved);
    size++;
    return resolved;
  };
}
