import { err, ok, type Result } from '../result';
import { isSlug } from '../slug';

/**
 * Route names are the `model` field of a request (docs/architecture.md "Route names"). They are plain
 * strings, identical on every node, and never hold database ids.
 *
 * - `scope: 'user'`   → the caller's own resource (`user-provider/…`, `user-rotation/…`, `user-autoselect/…`)
 * - `scope: 'global'` → an admin-owned resource (`provider/…`, `rotation/…`, `autoselect/…`, `{providerId}/{model}`)
 * - `scope: 'any'`    → the caller's own, else the global one (`{id}` alone, AISBF's `rotations/…`, `autoselections/…`)
 */
export type RouteScope = 'user' | 'global' | 'any';

export type RouteName =
  | { kind: 'provider'; scope: 'user' | 'global'; providerId: string; model: string }
  | { kind: 'rotation'; scope: RouteScope; id: string }
  | { kind: 'autoselect'; scope: RouteScope; id: string }
  /** A bare id: a rotation or an autoselect, the caller's own first. */
  | { kind: 'bare'; id: string };

const MAX_ROUTE_LENGTH = 400;
const MAX_MODEL_LENGTH = 256;

/** Prefixes that name a kind; anything else before the first `/` is a global provider id. */
const PREFIXES: Readonly<Record<string, (rest: string) => Result<RouteName>>> = {
  'user-provider': (rest) => providerRoute('user', rest),
  'user-rotation': (rest) => idRoute('rotation', 'user', rest),
  'user-autoselect': (rest) => idRoute('autoselect', 'user', rest),
  provider: (rest) => providerRoute('global', rest),
  rotation: (rest) => idRoute('rotation', 'global', rest),
  autoselect: (rest) => idRoute('autoselect', 'global', rest),
  // AISBF's own spellings: the caller's own first, like a bare id of that kind.
  rotations: (rest) => idRoute('rotation', 'any', rest),
  autoselections: (rest) => idRoute('autoselect', 'any', rest),
  autoselects: (rest) => idRoute('autoselect', 'any', rest),
};

function idRoute(kind: 'rotation' | 'autoselect', scope: RouteScope, rest: string): Result<RouteName> {
  if (!isSlug(rest)) return err(`"${rest}" is not a valid ${kind} id`);
  return ok({ kind, scope, id: rest });
}

function providerRoute(scope: 'user' | 'global', rest: string): Result<RouteName> {
  const slash = rest.indexOf('/');
  if (slash <= 0) return err('expected {providerId}/{model}');
  const providerId = rest.slice(0, slash);
  // The model keeps `/` and `:` verbatim: it is sent upstream exactly as written (docs/data-plane.md).
  const model = rest.slice(slash + 1);
  if (!isSlug(providerId)) return err(`"${providerId}" is not a valid provider id`);
  if (model.length === 0 || model.length > MAX_MODEL_LENGTH || /[\s\u0000-\u001f]/.test(model))
    return err(`"${model}" is not a valid model name`);
  return ok({ kind: 'provider', scope, providerId, model });
}

export function parseRouteName(input: string): Result<RouteName> {
  if (input.length === 0) return err('the route name is empty');
  if (input.length > MAX_ROUTE_LENGTH) return err('the route name is too long');
  const slash = input.indexOf('/');
  if (slash < 0) return isSlug(input) ? ok({ kind: 'bare', id: input }) : err(`"${input}" is not a valid route name`);
  const head = input.slice(0, slash);
  const rest = input.slice(slash + 1);
  const prefixed = Object.hasOwn(PREFIXES, head) ? PREFIXES[head] : undefined;
  if (prefixed !== undefined) return prefixed(rest);
  return providerRoute('global', input);
}

/** The canonical spelling; `parseRouteName(formatRouteName(r))` gives `r` back. */
export function formatRouteName(route: RouteName): string {
  switch (route.kind) {
    case 'provider':
      return `${route.scope === 'user' ? 'user-provider' : 'provider'}/${route.providerId}/${route.model}`;
    case 'rotation':
      return route.scope === 'user'
        ? `user-rotation/${route.id}`
        : route.scope === 'global'
          ? `rotation/${route.id}`
          : `rotations/${route.id}`;
    case 'autoselect':
      return route.scope === 'user'
        ? `user-autoselect/${route.id}`
        : route.scope === 'global'
          ? `autoselect/${route.id}`
          : `autoselections/${route.id}`;
    case 'bare':
      return route.id;
  }
}
