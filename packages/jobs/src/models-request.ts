import { providerHeadersOf } from '@aisbf/core';
import { backendDialectFor, vendorPath } from '@aisbf/dialects';
import type { StoredProvider } from '@aisbf/db';
import type { SecretBox } from '@aisbf/secrets';

/**
 * `GET` of a provider's model list in its own dialect (docs/providers.md): `{endpoint}/models`
 * with a bearer key for OpenAI-compatible providers, `{endpoint}/v1/models` with `x-api-key` for
 * Anthropic, … Discovery reads it; the free health probe only needs it to answer 2xx.
 */
export function modelsRequest(
  provider: StoredProvider,
  secretBox: Pick<SecretBox, 'decrypt'>,
): { url: string; headers: Record<string, string>; parse: ((body: unknown) => string[] | null) | null } {
  // The provider's own headers, decrypted here like its key (docs/architecture.md "Secrets").
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...providerHeadersOf(provider.settings, (sealed) => secretBox.decrypt(sealed)),
  };
  const key = provider.apiKeyEnc === null ? null : secretBox.decrypt(provider.apiKeyEnc);
  const dialect = backendDialectFor(provider.type);
  if (dialect === null) {
    if (key !== null) headers['authorization'] = `Bearer ${key}`;
    return { url: `${provider.endpoint}/models`, headers, parse: null };
  }
  const url = new URL(provider.endpoint);
  return {
    url: `${url.origin}${vendorPath(url.pathname, dialect.models.path)}`,
    headers: { ...headers, ...dialect.authHeaders(key) },
    parse: (body) => dialect.models.parse(body),
  };
}
