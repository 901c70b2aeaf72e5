import {
  formatPath,
  GatewayError,
  isRedactedHeaderValue,
  legacyHeadersOf,
  normalizeProviderModel,
  providerConfigSchema,
  SEALED_HEADERS_SETTING,
  sealedHeadersOf,
  withoutCredentialKeys,
  type ConfigIssue,
  type SealedHeader,
} from '@aisbf/core';
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
  // Header values are sealed into SEALED_HEADERS_SETTING (sealHeaders), never stored as given.
  'headers',
  SEALED_HEADERS_SETTING,
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
  const raw: Record<string, unknown> = withoutCredentialKeys('provider', { ...input.raw });
  if (raw['apiKey'] !== undefined && raw['api_key'] === undefined) raw['api_key'] = raw['apiKey'];
  if (raw['adminOnly'] !== undefined && raw['admin_only'] === undefined) raw['admin_only'] = raw['adminOnly'];
  // The sealed form is written only by this function: a document cannot plant its own ciphertext.
  for (const key of ['apiKey', 'adminOnly', 'api_key_hint', 'apiKeyHint', 'scope', 'health', SEALED_HEADERS_SETTING])
    delete raw[key];
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
  if (config.headers !== undefined)
    settings[SEALED_HEADERS_SETTING] = sealHeaders(secretBox, config.headers, existing?.settings ?? {}, [
      ...prefix,
      'headers',
    ]);
  const apiKey = config.api_key;
  // AISBF's api_key_required: a provider that says it needs a key is refused without one (an omitted
  // api_key keeps the stored key), so no request ever leaves unauthenticated (docs/context.md "Keys").
  const hasKey = apiKey === undefined ? (existing?.apiKeyEnc ?? null) !== null : apiKey !== '';
  if (config.api_key_required === true && !hasKey)
    throw new ValidationError([
      {
        path: formatPath([...prefix, 'api_key']),
        message:
          'api_key is required: this provider sets api_key_required: true (give its key, or set api_key_required: false)',
      },
    ]);
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

/**
 * Seals every header value (docs/architecture.md "Secrets"). A value that is an export's redaction
 * (`Bear…1a2b`) keeps what is stored under that name, as an omitted `api_key` keeps the key, so an
 * exported document imports back unchanged; a redaction with nothing stored behind it is an error.
 */
function sealHeaders(
  secretBox: SecretBox,
  headers: Record<string, string>,
  stored: Record<string, unknown>,
  path: ReadonlyArray<PropertyKey>,
): Record<string, SealedHeader> {
  const sealed = sealedHeadersOf(stored);
  const legacy = legacyHeadersOf(stored);
  const storedOf = (name: string): SealedHeader | undefined => {
    const lower = name.toLowerCase();
    const found = Object.keys(sealed).find((n) => n.toLowerCase() === lower);
    if (found !== undefined) return sealed[found];
    const plain = Object.keys(legacy).find((n) => n.toLowerCase() === lower);
    return plain === undefined ? undefined : seal(secretBox, legacy[plain]!);
  };
  const out: Record<string, SealedHeader> = {};
  const issues: ConfigIssue[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!isRedactedHeaderValue(value)) {
      out[name] = seal(secretBox, value);
      continue;
    }
    const kept = storedOf(name);
    if (kept !== undefined) out[name] = kept;
    else
      issues.push({
        path: formatPath([...path, name]),
        message: 'is a redacted value and nothing is stored under this name to keep; send the real value',
      });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return out;
}

const seal = (secretBox: SecretBox, value: string): SealedHeader => ({
  enc: secretBox.encrypt(value),
  hint: secretHint(value),
});

/** Header names with their hints in place of the values (exports and views). */
export function redactedHeaders(settings: Record<string, unknown>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(legacyHeadersOf(settings))) out[name] = secretHint(value);
  for (const [name, sealed] of Object.entries(sealedHeadersOf(settings))) out[name] = sealed.hint;
  return Object.keys(out).length === 0 ? undefined : out;
}

/** A provider as an AISBF providers.json entry, key and header values redacted (export, docs/architecture.md "Control plane"). */
export function providerDocument(p: StoredProvider): Record<string, unknown> {
  const models = p.models.map((m) => {
    const out: Record<string, unknown> = { name: m.name };
    if (m.contextWindow !== undefined) out['context_window'] = m.contextWindow;
    if (m.prefill !== undefined) out['prefill'] = m.prefill;
    if (m.defaults !== undefined) out['defaults'] = m.defaults;
    if (m.pricing !== undefined) out['pricing'] = m.pricing;
    // AISBF's model keys, written back under their own names so an export re-imports as it was.
    const l = m.limits;
    if (l?.maxTokens !== undefined) out['max_tokens'] = l.maxTokens;
    if (l?.maxRequestTokens !== undefined) out['max_request_tokens'] = l.maxRequestTokens;
    if (l?.condenseContext !== undefined) out['condense_context'] = l.condenseContext;
    if (l?.condenseMethods !== undefined) out['condense_method'] = l.condenseMethods;
    if (l?.rateLimitS !== undefined) out['rate_limit'] = l.rateLimitS;
    return Object.keys(out).length === 1 ? m.name : out;
  });
  const settings = { ...p.settings };
  delete settings['headers'];
  delete settings[SEALED_HEADERS_SETTING];
  const headers = redactedHeaders(p.settings);
  return {
    type: p.type,
    endpoint: p.endpoint,
    ...(p.apiKeyHint !== null ? { api_key_hint: p.apiKeyHint } : {}),
    models,
    enabled: p.enabled,
    ...(p.ownerId === null ? { admin_only: p.adminOnly } : {}),
    ...settings,
    ...(headers === undefined ? {} : { headers }),
  };
}

export function notFound(what: string, id: string, path = 'id'): GatewayError {
  return new GatewayError('NOT_FOUND', `${what} "${id}" does not exist`, { path });
}
