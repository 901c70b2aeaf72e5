import { GatewayError, parseConfigDocument, type ConfigChange, type ConfigIssue, type ConfigKind } from '@aisbf/core';
import { listProviders, listRouteConfigs } from '@aisbf/db';
import type { Actor } from './actor';
import { resolveOwner } from './owner-scope';
import { providerDocument, writeProvider } from './provider-write';
import { writeRouteConfigs } from './route-configs.service';
import type { ServiceContext } from './service-deps';
import { ValidationError } from './validation-error';

export interface ImportResult {
  created: string[];
  updated: string[];
  /** Accepted, but worth a look (e.g. an autoselect's selection model that does not exist yet). */
  warnings: ConfigIssue[];
}

export interface ConfigExport {
  /** `{"providers":{id:{…}}}` with keys redacted (only `api_key_hint`). */
  providers: Record<string, unknown>;
  /** `{"rotations":{id:{…}}}`, the seed's shape. */
  rotations: Record<string, unknown>;
  /** `{id:{…}}`, the seed's autoselect shape. */
  autoselects: Record<string, unknown>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Where the document keeps its items, so issue paths name the document's own keys. */
function itemPrefix(kind: ConfigKind, document: unknown, id: string): PropertyKey[] {
  if (!isRecord(document)) return [id];
  if (kind === 'rotations' && 'rotations' in document) return ['rotations', id];
  if (kind === 'providers' && 'providers' in document) return ['providers', id];
  if (kind === 'autoselects' && Object.keys(document).length === 1) {
    const key = ['autoselect', 'autoselects', 'autoselections'].find((k) => k in document && isRecord(document[k]));
    if (key !== undefined) return [key, id];
  }
  return [id];
}

export function createConfigService(ctx: ServiceContext) {
  const { db } = ctx;
  return {
    /**
     * Imports a whole document (the seed's JSON and AISBF's files, as they are) in one
     * transaction: every item is validated, references are checked after the whole document is
     * written, and any problem rolls back all of it.
     */
    async import(
      actor: Actor,
      input: { owner?: string | null; kind: ConfigKind; document: unknown },
    ): Promise<ImportResult> {
      const scope = await resolveOwner(db, actor, input.owner);
      const parsed = parseConfigDocument(input.kind, input.document);
      if (!parsed.ok) throw new ValidationError(parsed.error);
      const items = parsed.value.items;
      const changeKind: ConfigChange['kind'] =
        input.kind === 'providers' ? 'provider' : input.kind === 'rotations' ? 'rotation' : 'autoselect';
      const enabledProviders = new Set<string>();
      const imported = await ctx.commit(async (trx) => {
        let result: ImportResult;
        if (input.kind === 'providers') {
          result = { created: [], updated: [], warnings: [] };
          for (const item of items) {
            const { created, provider } = await writeProvider(trx, ctx.secretBox, {
              ownerId: scope.ownerId,
              raw: item.raw,
              now: ctx.clock(),
              pathPrefix: itemPrefix('providers', input.document, item.id),
              endpointCheck: ctx.endpointCheck,
            });
            (created ? result.created : result.updated).push(item.id);
            if (provider.enabled) enabledProviders.add(provider.id);
          }
        } else {
          const kind = input.kind === 'rotations' ? 'rotation' : 'autoselect';
          result = await writeRouteConfigs(
            trx,
            kind,
            scope,
            items.map((item) => ({
              id: item.id,
              raw: item.raw,
              prefix: itemPrefix(input.kind, input.document, item.id),
            })),
            ctx.clock(),
          );
        }
        result.warnings.unshift(...parsed.value.warnings);
        return {
          value: result,
          changes: items.map((item) => ({
            kind: changeKind,
            id: item.id,
            op: 'upsert' as const,
            owner: scope.ownerId,
          })),
        };
      });
      // Imported providers are discovered as if created one by one (docs/jobs.md "Discovery follows use").
      for (const providerId of enabledProviders) ctx.jobs.discoverSoon?.({ ownerId: scope.ownerId, providerId });
      return imported;
    },

    /** The scope's own configuration as importable documents; provider keys never leave. */
    async export(actor: Actor, input: { owner?: string | null } = {}): Promise<ConfigExport> {
      const scope = await resolveOwner(db, actor, input.owner);
      const providers = await listProviders(db, scope.ownerId);
      const rotations = await listRouteConfigs(db, 'rotations', scope.ownerId);
      const autoselects = await listRouteConfigs(db, 'autoselects', scope.ownerId);
      return {
        providers: { providers: Object.fromEntries(providers.map((p) => [p.id, providerDocument(p)])) },
        rotations: { rotations: Object.fromEntries(rotations.map((r) => [r.id, r.config])) },
        autoselects: Object.fromEntries(autoselects.map((a) => [a.id, a.config])),
      };
    },
  };
}

export type ConfigService = ReturnType<typeof createConfigService>;
