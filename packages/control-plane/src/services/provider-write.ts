import { formatPath, GatewayError, normalizeProviderModel, providerConfigSchema, type ConfigIssue } from '@aisbf/core';
import { findProvider, upsertProvider, type Db, type StoredProvider } from '@aisbf/db';
import { secretHint, type SecretBox } from '@aisbf/secrets';
import { assertEndpointAllowed, type EndpointWriteCheck } from './endpoint-write-check';
import { validationFromZod, ValidationError } from './validation-error';

/** Fields that are columns, or only ever shown (an export's hint), never stored as settings. */
const NOT_SETTINGS = new Set([
  'id',
  'type',
  'endpoint',
  'api_key',
  'apiKey',
  'models',
  'enabled',
  'admin_only',
  'adminOnly',
  'api_key_hint',
  'apiKeyHint',
  'scope',
  'health',
]);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Validates one provider as written by a user, an AISBF providers.json or an export, and stores it
 * (key sealed with the SecretBox). `raw` may use AISBF's snake_case or the API's camelCase for the
 * key and flags. Omitted `api_key`, `models` or `enabled` keep what is stored.
 */
export async function writeProvider(
  trx: Db,
  secretBox: SecretBox,
  input: {
    ownerId: string | null;
    raw: unknown;
    now: number;
    pathPrefix?: ReadonlyArray<PropertyKey>;
    endpointCheck?: EndpointWriteCheck | null | undefined;
  },
): Promise<{ provider: StoredProvider; created: boolean }> {
  const prefix = input.pathPrefix ?? [];
  if (!isRecord(input.raw))
    throw new ValidationError([{ path: formatPath(prefix), message: 'expected a provider object' }]);
  const raw: Record<string, unknown> = { ...input.raw };
  if (raw['apiKey'] !== undefined && raw['api_key'] === undefined) raw['api_key'] = raw['apiKey'];
  if (raw['adminOnly'] !== undefined && raw['admin_only'] === undefined) raw['admin_only'] = raw['adminOnly'];
  for (const key of ['apiKey', 'adminOnly', 'api_key_hint', 'apiKeyHint', 'scope', 'health']) delete raw[key];
  for (const [key, value] of Object.entries(raw)) if (value === null || value === undefined) delete raw[key];
  const parsed = providerConfigSchema.safeParse(raw);
  if (!parsed.success) throw validationFromZod(parsed.error, prefix);
  const config = parsed.data;
  const issues: ConfigIssue[] = [];
  if (input.ownerId !== null && config.admin_only)
    issues.push({
      path: formatPath([...prefix, 'admin_only']),
      message: 'only global providers can be restricted to admins',
    });
  if (issues.length > 0) throw new ValidationError(issues);
  // Global providers are admin-written and trusted (a local Ollama on loopback); user-owned ones
  // may only target what the endpoint policy allows (docs/security.md).
  if (input.ownerId !== null && input.endpointCheck != null)
    await assertEndpointAllowed(input.endpointCheck, config.endpoint, formatPath([...prefix, 'endpoint']));

  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config))
    if (!NOT_SETTINGS.has(key) && value !== undefined) settings[key] = value;
  const existing = await findProvider(trx, input.ownerId, config.id);
  const apiKey = config.api_key;
  const sealed =
    apiKey === undefined
      ? {}
      : apiKey === ''
        ? { apiKeyEnc: null, apiKeyHint: null }
        : { apiKeyEnc: secretBox.encrypt(apiKey), apiKeyHint: secretHint(apiKey) };
  return upsertProvider(
    trx,
    {
      ownerId: input.ownerId,
      id: config.id,
      type: config.type,
      endpoint: config.endpoint,
      ...sealed,
      enabled: raw['enabled'] === undefined ? (existing?.enabled ?? true) : config.enabled,
      adminOnly: config.admin_only,
      settings,
      ...(raw['models'] === undefined ? {} : { models: config.models.map(normalizeProviderModel) }),
    },
    input.now,
  );
}

/** A provider as an AISBF providers.json entry, key redacted (export, docs/architecture.md "Control plane"). */
export function providerDocument(p: StoredProvider): Record<string, unknown> {
  const models = p.models.map((m) => {
    const out: Record<string, unknown> = { name: m.name };
    if (m.contextWindow !== undefined) out['context_window'] = m.contextWindow;
    if (m.prefill !== undefined) out['prefill'] = m.prefill;
    if (m.defaults !== undefined) out['defaults'] = m.defaults;
    if (m.pricing !== undefined) out['pricing'] = m.pricing;
    return Object.keys(out).length === 1 ? m.name : out;
  });
  return {
    type: p.type,
    endpoint: p.endpoint,
    ...(p.apiKeyHint !== null ? { api_key_hint: p.apiKeyHint } : {}),
    models,
    enabled: p.enabled,
    ...(p.ownerId === null ? { admin_only: p.adminOnly } : {}),
    ...p.settings,
  };
}

export function notFound(what: string, id: string, path = 'id'): GatewayError {
  return new GatewayError('NOT_FOUND', `${what} "${id}" does not exist`, { path });
}
