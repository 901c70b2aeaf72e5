import {
  assembleSnapshot,
  indexSnapshot,
  userSnapshot,
  type ConfigParts,
  type GlobalPart,
  type SnapshotIndex,
  type UserPart,
} from '@aisbf/core';
import { createRouteResolver, type RouteResolver } from './proxy/route-resolver';

/** What one user's requests are served from: the user's part over the global part, indexed. */
export interface Served {
  index: SnapshotIndex;
  resolve: RouteResolver;
}

/** The config parts a node serves from, with the indexes built from them. */
export interface ConfigView {
  readonly parts: ConfigParts;
  /** The index of a user's part (built once per part and global part, then kept with the part). */
  served(part: UserPart): Served;
}

/**
 * Indexes are keyed by part identity (docs/cluster.md "Partitioned propagation"): parts are
 * immutable and a change replaces the object, so a changed user part gets a new index on its next
 * request, an evicted one's index goes with it (WeakMap), and a new global part starts every
 * user's index afresh. No work at request time beyond a first request after a change
 * (docs/data-plane.md).
 */
export function createConfigView(parts: ConfigParts): ConfigView {
  let globalPart: GlobalPart | null = null;
  let globalIndex: SnapshotIndex | null = null;
  let byPart = new WeakMap<UserPart, Served>();
  const globalOf = (): SnapshotIndex => {
    const current = parts.global();
    if (current === null) throw new Error('no global part loaded');
    if (current !== globalPart || globalIndex === null) {
      globalPart = current;
      globalIndex = indexSnapshot(assembleSnapshot(current, []));
      byPart = new WeakMap();
    }
    return globalIndex;
  };
  return {
    parts,
    served(part) {
      const base = globalOf();
      let served = byPart.get(part);
      if (served === undefined) {
        const index = indexSnapshot(userSnapshot(part, base.snapshot.createdAt), base);
        served = { index, resolve: createRouteResolver(index) };
        byPart.set(part, served);
      }
      return served;
    },
  };
}
