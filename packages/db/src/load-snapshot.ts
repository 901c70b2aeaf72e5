import type { Kysely } from 'kysely';
import {
  autoselectConfigSchema,
  cacheSettingSchema,
  legacyHeadersOf,
  defaultLimitsOf,
  providerObjectSchema,
  providerTypeSchema,
  rotationConfigSchema,
  sealedHeadersOf,
  timeoutsSchema,
  type Limits,
  type ProviderModel,
  type Snapshot,
  type SnapshotAutoselect,
  type SnapshotProvider,
  type SnapshotRotation,
  type SnapshotToken,
  type SnapshotUser,
} from '@aisbf/core';
import { getConfigVersion } from './config-version.repository';
import type { Database } from './database';
import { listProviders, type StoredProvider } from './providers.repository';
import { listRouteConfigs } from './route-configs.repository';
import { toApiToken, toUser, type ApiToken, type User } from './users.repository';

export interface LoadSnapshotOptions {
  /** Called for a stored config that no longer parses (schema tightened after it was written). */
  onInvalid?: (kind: 'rotation' | 'autoselect', ownerId: string | null, id: string, message: string) => void;
}

const DEFAULT_KEYS = {
  condense_context: true,
  condense_method: true,
  default_max_tokens: true,
  default_context_size: true,
  default_max_request_tokens: true,
  default_condense_context: true,
  default_condense_method: true,
  default_rate_limit: true,
  rate_limit: true,
} as const;
/**
 * Built once: zod 4 compiles an object schema's fast path on its first parse, so a `pick` made per
 * provider spent most of a page read compiling (measured: docs/cluster.md "Control-plane cost").
 */
const providerDefaultsSchema = providerObjectSchema.pick(DEFAULT_KEYS);

const stripModel = (m: ProviderModel): ProviderModel => {
  const out: ProviderModel = { name: m.name };
  if (m.contextWindow !== undefined) out.contextWindow = m.contextWindow;
  if (m.prefill !== undefined) out.prefill = m.prefill;
  if (m.defaults !== undefined) out.defaults = m.defaults;
  if (m.pricing !== undefined) out.pricing = m.pricing;
  if (m.limits !== undefined) out.limits = m.limits;
  return out;
};

export function toSnapshotProvider(p: StoredProvider): SnapshotProvider {
  const timeouts = timeoutsSchema.safeParse(p.settings);
  // Stored types were normalised on write; an unreadable one is served as the canonical dialect.
  const type = providerTypeSchema.safeParse(p.type);
  const provider: SnapshotProvider = {
    ownerId: p.ownerId,
    id: p.id,
    type: type.success ? type.data : 'openai',
    endpoint: p.endpoint,
    apiKeyEnc: p.apiKeyEnc,
    enabled: p.enabled,
    adminOnly: p.adminOnly,
    models: p.models.map(stripModel),
    timeouts: timeouts.success ? timeouts.data : {},
  };
  const maxConcurrency = p.settings['max_concurrency'];
  const defaultMaxTokens = p.settings['default_max_tokens'];
  if (typeof defaultMaxTokens === 'number') provider.defaultMaxTokens = defaultMaxTokens;
  if (typeof maxConcurrency === 'number') provider.maxConcurrency = maxConcurrency;
  if (p.settings['api_key_required'] === true) provider.apiKeyRequired = true;
  // The provider's default_* keys and its rate_limit (docs/context.md); unreadable ones are ignored.
  const defaults = providerDefaultsSchema.safeParse(p.settings);
  if (defaults.success) {
    const limits = defaultLimitsOf(defaults.data);
    if (Object.keys(limits).length > 0) provider.limits = limits;
    if (defaults.data.rate_limit !== undefined && defaults.data.rate_limit > 0)
      provider.rateLimitS = defaults.data.rate_limit;
  }
  // Header values travel sealed, like the key (docs/architecture.md "Secrets"); a row not yet
  // resealed at boot still carries plaintext ones.
  const legacy = legacyHeadersOf(p.settings);
  if (Object.keys(legacy).length > 0) provider.headers = legacy;
  const sealed = Object.entries(sealedHeadersOf(p.settings));
  if (sealed.length > 0) provider.headersEnc = Object.fromEntries(sealed.map(([name, h]) => [name, h.enc]));
  // Provider-level response caching (docs/cache.md); a malformed setting is ignored, never half-applied.
  const cache = cacheSettingSchema.safeParse(p.settings['cache']);
  if (p.settings['cache'] !== undefined && cache.success) provider.cache = cache.data;
  return provider;
}

/**
 * Builds the data plane's snapshot (docs/architecture.md "Propagation") in one read transaction, so it matches one config
 * version. Disabled users and their tokens, and revoked tokens, are left out: the data plane
 * rejects whatever the snapshot does not hold. No plaintext secret is read or produced.
 */
export async function loadSnapshot(db: Kysely<Database>, options: LoadSnapshotOptions = {}): Promise<Snapshot> {
  const read = async (trx: Kysely<Database>): Promise<Snapshot> => {
    const { version, updatedAt } = await getConfigVersion(trx);
    const userRows = await trx.selectFrom('users').selectAll().where('disabled', '=', 0).orderBy('username').execute();
    const users = userRows.map(toUser);
    const active = new Set(users.map((u) => u.id));
    const tokenRows = await trx
      .selectFrom('api_tokens')
      .selectAll()
      .where('revoked_at', 'is', null)
      .orderBy('id')
      .execute();
    const tokens = tokenRows.map(toApiToken).filter((t) => active.has(t.userId));
    return {
      version,
      createdAt: updatedAt,
      users: users.map(toSnapshotUser),
      tokens: tokens.map(toSnapshotToken),
      ...(await loadOwnedResources(trx, undefined, options)),
    };
  };
  return db.isTransaction ? read(db) : db.transaction().execute(read);
}

/**
 * Providers, rotations and autoselects of one owner (`null` = global), of several users (an
 * array), or of everyone (`undefined`).
 */
export async function loadOwnedResources(
  trx: Kysely<Database>,
  ownerId: string | null | ReadonlyArray<string> | undefined,
  options: LoadSnapshotOptions,
): Promise<{ providers: SnapshotProvider[]; rotations: SnapshotRotation[]; autoselects: SnapshotAutoselect[] }> {
  const providers = (await listProviders(trx, ownerId)).map(toSnapshotProvider);
  const rotations: SnapshotRotation[] = [];
  for (const item of await listRouteConfigs(trx, 'rotations', ownerId)) {
    const parsed = rotationConfigSchema.safeParse(item.config);
    if (parsed.success) rotations.push({ ownerId: item.ownerId, id: item.id, config: parsed.data });
    else options.onInvalid?.('rotation', item.ownerId, item.id, parsed.error.message);
  }
  const autoselects: SnapshotAutoselect[] = [];
  for (const item of await listRouteConfigs(trx, 'autoselects', ownerId)) {
    const parsed = autoselectConfigSchema.safeParse(item.config);
    if (parsed.success) autoselects.push({ ownerId: item.ownerId, id: item.id, config: parsed.data });
    else options.onInvalid?.('autoselect', item.ownerId, item.id, parsed.error.message);
  }
  return { providers, rotations, autoselects };
}

export const toSnapshotUser = (u: User): SnapshotUser => ({
  id: u.id,
  username: u.username,
  role: u.role,
  disabled: u.disabled,
  ...(u.limits ? { limits: u.limits } : {}),
});

export const toSnapshotToken = (t: ApiToken): SnapshotToken => ({
  id: t.id,
  userId: t.userId,
  name: t.name,
  hash: t.hash,
  expiresAt: t.expiresAt,
  ...(t.limits ? { limits: t.limits as Limits } : {}),
});
