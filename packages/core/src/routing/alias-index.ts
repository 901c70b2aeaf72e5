import type { IndexedAutoselect, IndexedRotation } from './snapshot-index';

type AliasTarget = IndexedRotation | IndexedAutoselect;

/** One scope's aliases (a user's routes, or the global ones). */
interface AliasTable {
  exact: Map<string, AliasTarget>;
  /** Longest prefix first, so the most specific alias wins. */
  prefixes: Array<{ prefix: string; target: AliasTarget }>;
}

/** Scope key (`*` for global, else the owner's id) → that scope's aliases. */
export type AliasIndex = ReadonlyMap<string, AliasTable>;

/**
 * Built once per snapshot. Within a scope, when two routes claim the same alias, the one whose
 * route name sorts first keeps it (a stable rule, whatever order the snapshot lists them in). A
 * rotation that cannot serve (a loop) lends its aliases to nobody.
 */
export function indexAliases(routes: Iterable<AliasTarget>): AliasIndex {
  const sorted = [...routes].sort((a, b) => (a.route < b.route ? -1 : a.route > b.route ? 1 : 0));
  const index = new Map<string, AliasTable>();
  for (const target of sorted) {
    if (target.kind === 'rotation' && target.configError !== null) continue;
    const aliases = target.kind === 'rotation' ? target.rotation.config.aliases : target.autoselect.config.aliases;
    if (aliases === undefined || aliases.length === 0) continue;
    const scope = target.ownerId ?? '*';
    let table = index.get(scope);
    if (table === undefined) {
      table = { exact: new Map(), prefixes: [] };
      index.set(scope, table);
    }
    for (const alias of aliases) {
      if (alias.endsWith('*')) {
        const prefix = alias.slice(0, -1);
        if (!table.prefixes.some((p) => p.prefix === prefix)) table.prefixes.push({ prefix, target });
      } else if (!table.exact.has(alias)) table.exact.set(alias, target);
    }
  }
  for (const table of index.values()) table.prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
  return index;
}

/** The route an alias sends `name` to for this user: own routes first, then global; exact before prefix. */
export function matchAlias(index: AliasIndex, userId: string, name: string): AliasTarget | null {
  for (const scope of [userId, '*']) {
    const table = index.get(scope);
    if (table === undefined) continue;
    const exact = table.exact.get(name);
    if (exact !== undefined) return exact;
    for (const { prefix, target } of table.prefixes) if (name.startsWith(prefix)) return target;
  }
  return null;
}

/** The aliases `GET /models` shows for a route: its own list, as configured. */
export function aliasesOf(target: AliasTarget): readonly string[] {
  return (target.kind === 'rotation' ? target.rotation.config.aliases : target.autoselect.config.aliases) ?? [];
}
