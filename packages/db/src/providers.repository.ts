import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Pricing, ProviderModel } from '@aisbf/core';
import type { Database } from './database';
import { selectByKeys, type ScopedKey } from './find-by-keys';
import { containsText, toPage, type Page, type PageRequest } from './page-query';
import { fromBool, readJson, toBool, writeJson } from './json-column';
import type { ProviderHealthRow, ProviderModelRow, ProviderRow } from './providers.table';

/** `owner_key` of a scope: '' for global, else the owner's user id. */
export const ownerKey = (ownerId: string | null): string => ownerId ?? '';

export interface StoredProviderModel extends ProviderModel {
  source: 'config' | 'discovered';
  discoveredAt: number | null;
}

export interface ProviderHealth {
  status: 'healthy' | 'unhealthy' | 'unknown';
  checkedAt: number | null;
  error: string | null;
  latencyMs: number | null;
}

export interface StoredProvider {
  /** Internal row id; the user-facing id is `id` (a slug, unique per owner). */
  rowId: string;
  ownerId: string | null;
  id: string;
  type: string;
  endpoint: string;
  apiKeyEnc: string | null;
  apiKeyHint: string | null;
  enabled: boolean;
  adminOnly: boolean;
  /** Remaining settings: timeouts, headers, max_concurrency, health_probe, unknown AISBF keys. */
  settings: Record<string, unknown>;
  models: StoredProviderModel[];
  createdAt: number;
  updatedAt: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function toModel(row: ProviderModelRow): StoredProviderModel {
  const model: StoredProviderModel = {
    name: row.name,
    source: row.source,
    discoveredAt: row.discovered_at === null ? null : Number(row.discovered_at),
  };
  if (row.context_window !== null) model.contextWindow = Number(row.context_window);
  if (row.prefill !== null) model.prefill = toBool(row.prefill);
  const pricing = readJson(row.pricing);
  if (isRecord(pricing)) model.pricing = pricing as Pricing;
  const defaults = readJson(row.defaults);
  if (isRecord(defaults)) model.defaults = defaults;
  const limits = readJson(row.limits);
  if (isRecord(limits)) model.limits = limits as NonNullable<ProviderModel['limits']>;
  return model;
}

function toProvider(row: ProviderRow, models: StoredProviderModel[]): StoredProvider {
  const settings = readJson(row.settings);
  return {
    rowId: row.id,
    ownerId: row.owner_id,
    id: row.slug,
    type: row.type,
    endpoint: row.endpoint,
    apiKeyEnc: row.api_key_enc,
    apiKeyHint: row.api_key_hint,
    enabled: toBool(row.enabled),
    adminOnly: toBool(row.admin_only),
    settings: isRecord(settings) ? settings : {},
    models,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

async function modelsByProvider(db: Kysely<Database>, rowIds: string[]): Promise<Map<string, StoredProviderModel[]>> {
  const out = new Map<string, StoredProviderModel[]>();
  if (rowIds.length === 0) return out;
  const rows = await db
    .selectFrom('provider_models')
    .selectAll()
    .where('provider_id', 'in', rowIds)
    .orderBy('provider_id')
    .orderBy('position')
    .orderBy('name')
    .execute();
  for (const row of rows) {
    const list = out.get(row.provider_id) ?? [];
    list.push(toModel(row));
    out.set(row.provider_id, list);
  }
  return out;
}

/** `ownerId` undefined = every scope; null = global only; a user id = that user's only. */
/** The providers of one owner (`null` = global), of several users (an array), or of everyone (`undefined`). */
export async function listProviders(
  db: Kysely<Database>,
  ownerId?: string | null | ReadonlyArray<string>,
): Promise<StoredProvider[]> {
  let query = db.selectFrom('providers').selectAll();
  if (Array.isArray(ownerId)) {
    if (ownerId.length === 0) return [];
    query = query.where('owner_key', 'in', ownerId);
  } else if (ownerId !== undefined) query = query.where('owner_key', '=', ownerKey(ownerId as string | null));
  return withModels(db, await query.orderBy('owner_key').orderBy('slug').execute());
}

/**
 * The providers whose settings may still hold plaintext header values (`headers`, written before
 * header values were sealed: docs/architecture.md "Secrets"). The text match runs in the database,
 * so a boot reads only these rows, not every provider; callers check the parsed settings.
 */
export async function listProvidersWithPlainHeaders(db: Kysely<Database>): Promise<StoredProvider[]> {
  const rows = await db.selectFrom('providers').selectAll().where('settings', 'like', '%"headers"%').execute();
  return withModels(db, rows);
}

/** The query of `pageProviders` (the tests EXPLAIN it): the `(owner_key, slug)` unique index, in order. */
export function pageProvidersQuery(db: Kysely<Database>, ownerId: string | null, page: PageRequest) {
  let query = db.selectFrom('providers').selectAll().where('owner_key', '=', ownerKey(ownerId));
  if (page.after !== undefined) query = query.where('slug', '>', page.after);
  if (page.search) query = query.where(containsText('slug', page.search));
  return query.orderBy('slug').limit(page.limit + 1);
}

/** One page of a scope's providers by slug, optionally those whose id contains `search`. */
export async function pageProviders(
  db: Kysely<Database>,
  ownerId: string | null,
  page: PageRequest,
): Promise<Page<StoredProvider>> {
  const rows = await pageProvidersQuery(db, ownerId, page).execute();
  const result = toPage(rows, page.limit, (r) => r.slug);
  return { items: await withModels(db, result.items), nextAfter: result.nextAfter };
}

/** The providers of these `(owner, slug)` keys that exist (by the unique index: cost follows the keys, not the table). */
export async function findProvidersByKeys(
  db: Kysely<Database>,
  keys: ReadonlyArray<ScopedKey>,
): Promise<StoredProvider[]> {
  return withModels(db, await selectByKeys(db, 'providers', keys));
}

/** The providers of these row ids that exist. */
export async function findProvidersByRowIds(
  db: Kysely<Database>,
  rowIds: ReadonlyArray<string>,
): Promise<StoredProvider[]> {
  if (rowIds.length === 0) return [];
  const rows = await db
    .selectFrom('providers')
    .selectAll()
    .where('id', 'in', [...rowIds])
    .execute();
  return withModels(db, rows);
}

async function withModels(db: Kysely<Database>, rows: ProviderRow[]): Promise<StoredProvider[]> {
  const models = await modelsByProvider(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((row) => toProvider(row, models.get(row.id) ?? []));
}

export async function findProvider(
  db: Kysely<Database>,
  ownerId: string | null,
  id: string,
): Promise<StoredProvider | undefined> {
  const row = await db
    .selectFrom('providers')
    .selectAll()
    .where('owner_key', '=', ownerKey(ownerId))
    .where('slug', '=', id)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const models = await modelsByProvider(db, [row.id]);
  return toProvider(row, models.get(row.id) ?? []);
}

export interface ProviderWrite {
  ownerId: string | null;
  id: string;
  type: string;
  endpoint: string;
  /** undefined = keep the stored key; null = remove it. Ciphertext only. */
  apiKeyEnc?: string | null;
  apiKeyHint?: string | null;
  enabled: boolean;
  adminOnly: boolean;
  settings: Record<string, unknown>;
  /** undefined = keep the stored models. */
  models?: ProviderModel[];
}

export async function upsertProvider(
  db: Kysely<Database>,
  input: ProviderWrite,
  now: number,
): Promise<{ provider: StoredProvider; created: boolean }> {
  if (input.apiKeyEnc !== undefined && input.apiKeyEnc !== null && !input.apiKeyEnc.startsWith('v1:')) {
    throw new Error('upsertProvider expects a sealed key (SecretBox ciphertext), not a plaintext key');
  }
  const existing = await db
    .selectFrom('providers')
    .select('id')
    .where('owner_key', '=', ownerKey(input.ownerId))
    .where('slug', '=', input.id)
    .executeTakeFirst();
  const common = {
    type: input.type,
    endpoint: input.endpoint,
    enabled: fromBool(input.enabled),
    admin_only: fromBool(input.adminOnly),
    settings: JSON.stringify(input.settings),
    updated_at: now,
    ...(input.apiKeyEnc !== undefined
      ? { api_key_enc: input.apiKeyEnc, api_key_hint: input.apiKeyEnc === null ? null : (input.apiKeyHint ?? null) }
      : {}),
  };
  let rowId: string;
  if (existing === undefined) {
    rowId = randomUUID();
    await db
      .insertInto('providers')
      .values({
        id: rowId,
        owner_id: input.ownerId,
        owner_key: ownerKey(input.ownerId),
        slug: input.id,
        api_key_enc: null,
        api_key_hint: null,
        created_at: now,
        ...common,
      })
      .execute();
  } else {
    rowId = existing.id;
    await db.updateTable('providers').set(common).where('id', '=', rowId).execute();
  }
  if (input.models !== undefined)
    await replaceProviderModels(
      db,
      rowId,
      input.models.map((m) => ({ ...m, source: 'config' as const, discoveredAt: null })),
    );
  const provider = await findProvider(db, input.ownerId, input.id);
  if (provider === undefined) throw new Error('provider vanished during upsert');
  return { provider, created: existing === undefined };
}

export async function deleteProvider(db: Kysely<Database>, ownerId: string | null, id: string): Promise<boolean> {
  const result = await db
    .deleteFrom('providers')
    .where('owner_key', '=', ownerKey(ownerId))
    .where('slug', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Replaces a provider's model list (document order kept in `position`). */
export async function replaceProviderModels(
  db: Kysely<Database>,
  providerRowId: string,
  models: ReadonlyArray<StoredProviderModel>,
): Promise<void> {
  await db.deleteFrom('provider_models').where('provider_id', '=', providerRowId).execute();
  const seen = new Set<string>();
  const rows = [];
  for (const [position, m] of models.entries()) {
    if (seen.has(m.name)) continue; // a duplicate name would break the primary key
    seen.add(m.name);
    rows.push({
      provider_id: providerRowId,
      name: m.name,
      context_window: m.contextWindow ?? null,
      prefill: m.prefill === undefined ? null : fromBool(m.prefill),
      pricing: writeJson(m.pricing),
      defaults: writeJson(m.defaults),
      limits: writeJson(m.limits),
      source: m.source,
      discovered_at: m.discoveredAt,
      position,
    });
  }
  for (let i = 0; i < rows.length; i += 200) {
    await db
      .insertInto('provider_models')
      .values(rows.slice(i, i + 200))
      .execute();
  }
}

export async function setProviderHealth(
  db: Kysely<Database>,
  providerRowId: string,
  health: { status: ProviderHealth['status']; checkedAt: number; error?: string | null; latencyMs?: number | null },
): Promise<void> {
  const values = {
    status: health.status,
    checked_at: health.checkedAt,
    error: health.error ?? null,
    latency_ms: health.latencyMs ?? null,
  };
  const updated = await db
    .updateTable('provider_health')
    .set(values)
    .where('provider_id', '=', providerRowId)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) {
    await db
      .insertInto('provider_health')
      .orIgnore()
      .values({ provider_id: providerRowId, ...values })
      .execute();
  }
}

const toHealth = (row: ProviderHealthRow): ProviderHealth => ({
  status: row.status,
  checkedAt: Number(row.checked_at),
  error: row.error,
  latencyMs: row.latency_ms === null ? null : Number(row.latency_ms),
});

export const UNKNOWN_HEALTH: ProviderHealth = Object.freeze({
  status: 'unknown',
  checkedAt: null,
  error: null,
  latencyMs: null,
});

/** Health by provider row id. */
export async function listProviderHealth(
  db: Kysely<Database>,
  providerRowIds?: string[],
): Promise<Map<string, ProviderHealth>> {
  let query = db.selectFrom('provider_health').selectAll();
  if (providerRowIds !== undefined) {
    if (providerRowIds.length === 0) return new Map();
    query = query.where('provider_id', 'in', providerRowIds);
  }
  const rows = await query.execute();
  return new Map(rows.map((row) => [row.provider_id, toHealth(row)]));
}
