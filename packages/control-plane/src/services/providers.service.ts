import {
  GatewayError,
  PROVIDER_TYPES,
  slugSchema,
  unknownKeyWarnings,
  type ConfigIssue,
  type ProviderType,
} from '@aisbf/core';
import {
  deleteProvider,
  findProvider,
  listModelHealth,
  listProviderHealth,
  listProviders,
  pageProviders,
  setProviderHealth,
  UNKNOWN_HEALTH,
  type StoredProvider,
} from '@aisbf/db';
import { connectRefusal, fetchFor, modelsRequest, type ModelDiscovery } from '@aisbf/jobs';
import { isAdmin, type Actor } from './actor';
import { resolveOwner } from './owner-scope';
import { headerNames, keepStoredHeaders, visibleSettings } from './provider-headers';
import { notFound, writeProvider } from './provider-write';
import { encodeCursor, toPageRequest, type PageInput, type PageView } from './page-input';
import type { ServiceContext } from './service-deps';
import { assertEndpointAllowed } from './endpoint-write-check';
import { parseOrThrow, ValidationError } from './validation-error';
import { iso } from './views';

export interface ProviderView {
  id: string;
  scope: 'user' | 'global';
  owner: string | null;
  type: string;
  endpoint: string;
  apiKeyHint: string | null;
  enabled: boolean;
  adminOnly: boolean;
  models: Array<{
    name: string;
    contextWindow?: number;
    prefill?: boolean;
    defaults?: Record<string, unknown>;
    pricing?: Record<string, number | undefined>;
  }>;
  /** Stored settings (timeouts, max_concurrency, health_probe, …) except the headers. */
  settings: Record<string, unknown>;
  /** Names of the headers sent upstream; their values are never returned. */
  headers: string[];
  /** The provider as a whole (connection-level faults only), and each model the health job judged. */
  health: {
    status: HealthStatus;
    checkedAt?: string;
    error?: string;
    models: Array<{ model: string; status: HealthStatus; error?: string }>;
  };
}

type HealthStatus = 'healthy' | 'unhealthy' | 'unknown';

export interface ProviderInput {
  id: string;
  type: string;
  endpoint: string;
  /** Omitted = keep the stored key; '' = remove it. */
  apiKey?: string | null;
  models?: unknown[] | null;
  enabled?: boolean | null;
  adminOnly?: boolean | null;
  [setting: string]: unknown;
}

/** One provider type as the dashboard's form offers it (docs/providers.md). */
export interface ProviderTypeView {
  value: ProviderType;
  label: string;
  /** What an empty endpoint means; null: the form must ask for one. */
  defaultEndpoint: string | null;
  apiKey: 'required' | 'optional';
}

export interface ProviderTestResult {
  ok: boolean;
  latencyMs: number;
  status?: number;
  error?: string;
}

export function createProvidersService(ctx: ServiceContext) {
  const { db } = ctx;

  const views = async (providers: StoredProvider[], usernames?: Map<string, string>): Promise<ProviderView[]> => {
    const rowIds = providers.map((p) => p.rowId);
    const [health, modelHealth] = await Promise.all([listProviderHealth(db, rowIds), listModelHealth(db, rowIds)]);
    return providers.map((p) => {
      const h = health.get(p.rowId) ?? UNKNOWN_HEALTH;
      // Models without evidence (unknown) are left out: the list says what health knows.
      const models = [...(modelHealth.get(p.rowId) ?? new Map())]
        .filter(([, m]) => m.status !== 'unknown')
        .map(([model, m]) => ({ model, status: m.status, ...(m.error !== null ? { error: m.error } : {}) }));
      return {
        id: p.id,
        scope: p.ownerId === null ? 'global' : 'user',
        owner: p.ownerId === null ? null : (usernames?.get(p.ownerId) ?? null),
        type: p.type,
        endpoint: p.endpoint,
        apiKeyHint: p.apiKeyHint,
        enabled: p.enabled,
        adminOnly: p.adminOnly,
        models: p.models.map((m) => ({
          name: m.name,
          ...(m.contextWindow !== undefined ? { contextWindow: m.contextWindow } : {}),
          ...(m.prefill !== undefined ? { prefill: m.prefill } : {}),
          ...(m.defaults !== undefined ? { defaults: m.defaults } : {}),
          ...(m.pricing !== undefined ? { pricing: m.pricing } : {}),
        })),
        settings: visibleSettings(p),
        headers: headerNames(p),
        health: {
          status: h.status,
          ...(h.checkedAt !== null ? { checkedAt: iso(h.checkedAt) } : {}),
          ...(h.error !== null ? { error: h.error } : {}),
          models,
        },
      };
    });
  };

  const findOrThrow = async (ownerId: string | null, id: string): Promise<StoredProvider> => {
    const provider = await findProvider(db, ownerId, id);
    if (provider === undefined) throw notFound('provider', id);
    return provider;
  };

  return {
    /** Every provider type, its default endpoint and whether it needs a key. */
    types(): ProviderTypeView[] {
      return Object.entries(PROVIDER_TYPES).map(([value, t]) => ({
        value: value as ProviderType,
        label: t.label,
        defaultEndpoint: t.defaultEndpoint,
        apiKey: t.apiKey,
      }));
    },

    /** The scope's own providers; for the caller's own scope also the global ones they may use. */
    async list(actor: Actor, input: { owner?: string | null } = {}): Promise<ProviderView[]> {
      const scope = await resolveOwner(db, actor, input.owner);
      const own = await listProviders(db, scope.ownerId);
      const shared =
        scope.ownerId === actor.userId
          ? (await listProviders(db, null)).filter((p) => !p.adminOnly || isAdmin(actor))
          : [];
      return views([...own, ...shared], new Map(scope.ownerId === null ? [] : [[scope.ownerId, scope.label]]));
    },

    /**
     * One page of the scope's own providers by id (not the global ones a user may also use: those
     * are the `GLOBAL` scope's pages); `search` keeps the ids containing it.
     */
    async page(actor: Actor, input: { owner?: string | null } & PageInput = {}): Promise<PageView<ProviderView>> {
      const scope = await resolveOwner(db, actor, input.owner);
      const page = await pageProviders(db, scope.ownerId, toPageRequest(input));
      return {
        items: await views(page.items, new Map(scope.ownerId === null ? [] : [[scope.ownerId, scope.label]])),
        nextCursor: encodeCursor(page.nextAfter),
      };
    },

    async upsert(
      actor: Actor,
      input: { owner?: string | null; input: ProviderInput },
    ): Promise<ProviderView & { warnings: ConfigIssue[] }> {
      const scope = await resolveOwner(db, actor, input.owner);
      const saved = await ctx.commit(async (trx) => {
        const raw: Record<string, unknown> = { ...input.input };
        if (raw['headers'] !== undefined && typeof raw['id'] === 'string')
          keepStoredHeaders(raw, await findProvider(trx, scope.ownerId, raw['id']));
        const { provider } = await writeProvider(trx, ctx.secretBox, {
          ownerId: scope.ownerId,
          raw,
          now: ctx.clock(),
          endpointCheck: ctx.endpointCheck,
        });
        return {
          value: provider,
          changes: [{ kind: 'provider', id: provider.id, op: 'upsert', owner: scope.ownerId }],
        };
      });
      if (saved.enabled) ctx.jobs.discoverSoon?.({ ownerId: scope.ownerId, providerId: saved.id });
      const [view] = await views([saved], new Map(scope.ownerId === null ? [] : [[scope.ownerId, scope.label]]));
      if (view === undefined) throw new GatewayError('INTERNAL', 'provider view missing');
      return { ...view, warnings: unknownKeyWarnings('provider', input.input) };
    },

    async delete(actor: Actor, input: { owner?: string | null; id: string }): Promise<boolean> {
      const scope = await resolveOwner(db, actor, input.owner);
      return ctx.commit(async (trx) => {
        if (!(await deleteProvider(trx, scope.ownerId, input.id))) throw notFound('provider', input.id);
        return { value: true, changes: [{ kind: 'provider', id: input.id, op: 'delete', owner: scope.ownerId }] };
      });
    },

    /** Runs the discover-models job (in-process or BullMQ) and waits for its result. */
    async discoverModels(actor: Actor, input: { owner?: string | null; id: string }): Promise<ModelDiscovery> {
      const scope = await resolveOwner(db, actor, input.owner);
      const id = parseOrThrow(slugSchema, input.id, ['id']);
      await findOrThrow(scope.ownerId, id);
      return ctx.jobs.discoverModels({ ownerId: scope.ownerId, providerId: id });
    },

    /** One cheap probe (the type's model list); the outcome is also recorded as the provider's health. */
    async test(
      actor: Actor,
      input: { owner?: string | null; id: string; timeoutMs?: number },
    ): Promise<ProviderTestResult> {
      const scope = await resolveOwner(db, actor, input.owner);
      const provider = await findOrThrow(scope.ownerId, input.id);
      // The type's own model list and key header (docs/providers.md): `/models`, `/v1beta/models`, `/api/tags`, …
      const { url, headers } = modelsRequest(provider, ctx.secretBox);
      const started = performance.now();
      let result: ProviderTestResult;
      try {
        // Checked again on every probe (docs/security.md): the name may resolve elsewhere than when it was saved.
        if (scope.ownerId !== null && ctx.endpointCheck != null)
          await assertEndpointAllowed(ctx.endpointCheck, provider.endpoint, 'endpoint');
        const response = await fetchFor(ctx, scope.ownerId)(url, {
          headers,
          signal: AbortSignal.timeout(input.timeoutMs ?? 10_000),
        });
        await response.arrayBuffer();
        const latencyMs = Math.round(performance.now() - started);
        result = response.ok
          ? { ok: true, latencyMs, status: response.status }
          : { ok: false, latencyMs, status: response.status, error: `answered ${response.status}` };
      } catch (error) {
        const timedOut = error instanceof Error && error.name === 'TimeoutError';
        const refused = error instanceof ValidationError ? error.message : null;
        result = {
          ok: false,
          latencyMs: Math.round(performance.now() - started),
          error: refused ?? (timedOut ? 'timed out' : `could not connect${connectRefusal(error)}`),
        };
      }
      await setProviderHealth(db, provider.rowId, {
        status: result.ok ? 'healthy' : 'unhealthy',
        checkedAt: ctx.clock(),
        error: result.error ?? null,
        latencyMs: result.latencyMs,
      });
      return result;
    },
  };
}

export type ProvidersService = ReturnType<typeof createProvidersService>;
