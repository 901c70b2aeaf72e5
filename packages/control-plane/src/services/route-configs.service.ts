import {
  autoselectConfigSchema,
  rotationConfigSchema,
  slugSchema,
  unknownKeyWarnings,
  withoutCredentialKeys,
  type ConfigIssue,
} from '@aisbf/core';
import {
  deleteRouteConfig,
  listRouteConfigs,
  upsertRouteConfig,
  type Db,
  type RouteConfigTableName,
  type StoredRouteConfig,
} from '@aisbf/db';
import type { Actor } from './actor';
import { resolveOwner } from './owner-scope';
import { notFound } from './provider-write';
import { autoselectReferenceIssues, loadReferenceIndex, rotationReferenceIssues } from './route-references';
import type { ServiceContext } from './service-deps';
import { parseOrThrow, ValidationError } from './validation-error';

export interface RouteConfigView {
  id: string;
  scope: 'user' | 'global';
  /** The config exactly as stored (as the user wrote it). */
  config: unknown;
}

type Kind = 'rotation' | 'autoselect';
const TABLE: Record<Kind, RouteConfigTableName> = { rotation: 'rotations', autoselect: 'autoselects' };

const view = (item: StoredRouteConfig): RouteConfigView => ({
  id: item.id,
  scope: item.ownerId === null ? 'global' : 'user',
  config: item.config,
});

/** Validates the shape of one config (paths relative to the config object). */
export function parseRouteConfig(kind: Kind, config: unknown, prefix: ReadonlyArray<PropertyKey> = []) {
  return kind === 'rotation'
    ? parseOrThrow(rotationConfigSchema, config, prefix)
    : parseOrThrow(autoselectConfigSchema, config, prefix);
}

/**
 * Stores a batch of configs of one kind for one owner, then checks every reference against the
 * state after the whole batch (so configs of one document may name each other). Runs inside the
 * caller's transaction: any issue throws and nothing is kept.
 */
export async function writeRouteConfigs(
  trx: Db,
  kind: Kind,
  scope: { ownerId: string | null; ownerRole: 'admin' | 'user' },
  items: ReadonlyArray<{ id: string; raw: unknown; prefix: ReadonlyArray<PropertyKey> }>,
  now: number,
): Promise<{ created: string[]; updated: string[]; warnings: ConfigIssue[] }> {
  const { ownerId } = scope;
  const created: string[] = [];
  const updated: string[] = [];
  for (const item of items) {
    const config = withoutCredentialKeys(kind, item.raw);
    const result = await upsertRouteConfig(trx, TABLE[kind], { ownerId, id: item.id, config }, now);
    (result.created ? created : updated).push(item.id);
  }
  const index = await loadReferenceIndex(trx, ownerId, scope.ownerRole === 'admin');
  const issues: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  for (const item of items) {
    if (kind === 'rotation')
      issues.push(
        ...rotationReferenceIssues(index, parseOrThrow(rotationConfigSchema, item.raw, item.prefix), item.prefix),
      );
    else {
      const found = autoselectReferenceIssues(
        index,
        parseOrThrow(autoselectConfigSchema, item.raw, item.prefix),
        item.prefix,
      );
      issues.push(...found.issues);
      warnings.push(...found.warnings);
    }
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return { created, updated, warnings };
}

export function createRouteConfigsService(ctx: ServiceContext, kind: Kind) {
  const { db } = ctx;
  return {
    /** The scope's own configs; for the caller's own scope also the global ones. */
    async list(actor: Actor, input: { owner?: string | null } = {}): Promise<RouteConfigView[]> {
      const scope = await resolveOwner(db, actor, input.owner);
      const own = await listRouteConfigs(db, TABLE[kind], scope.ownerId);
      const shared = scope.ownerId === actor.userId ? await listRouteConfigs(db, TABLE[kind], null) : [];
      return [...own, ...shared].map(view);
    },

    async upsert(
      actor: Actor,
      input: { owner?: string | null; id: string; config: unknown },
    ): Promise<RouteConfigView & { warnings: ConfigIssue[] }> {
      const scope = await resolveOwner(db, actor, input.owner);
      const id = parseOrThrow(slugSchema, input.id, ['id']);
      parseRouteConfig(kind, input.config);
      return ctx.commit(async (trx) => {
        const { warnings } = await writeRouteConfigs(
          trx,
          kind,
          scope,
          [{ id, raw: input.config, prefix: [] }],
          ctx.clock(),
        );
        warnings.unshift(...unknownKeyWarnings(kind, input.config));
        return {
          value: {
            id,
            scope: scope.ownerId === null ? 'global' : 'user',
            config: withoutCredentialKeys(kind, input.config),
            warnings,
          },
          changes: [{ kind, id, op: 'upsert', owner: scope.ownerId }],
        };
      });
    },

    async delete(actor: Actor, input: { owner?: string | null; id: string }): Promise<boolean> {
      const scope = await resolveOwner(db, actor, input.owner);
      return ctx.commit(async (trx) => {
        if (!(await deleteRouteConfig(trx, TABLE[kind], scope.ownerId, input.id))) throw notFound(kind, input.id);
        return { value: true, changes: [{ kind, id: input.id, op: 'delete', owner: scope.ownerId }] };
      });
    },
  };
}

export type RouteConfigsService = ReturnType<typeof createRouteConfigsService>;
