import type { Issue } from './issues';

/** The seed's dashboard fields: Provider ID, Type, Endpoint, Token/API key, Models. */
export interface ProviderFormValues {
  id: string;
  type: string;
  endpoint: string;
  apiKey: string;
  models: string;
  enabled: boolean;
}

// A type alias, not an interface: it must fit the router's loose (index-signature) input type.
export type ProviderInput = {
  id: string;
  type: string;
  endpoint: string;
  apiKey?: string;
  models?: string[];
  enabled: boolean;
};

/** docs/architecture.md "Data plane API": ids are slugs. */
export const SLUG = /^[a-z0-9][a-z0-9._:-]{0,63}$/;

/** A provider type as `providers.types` lists it (docs/providers.md). */
export interface ProviderTypeOption {
  value: string;
  label: string;
  /** What an empty endpoint means; null: the form must ask for one. */
  defaultEndpoint: string | null;
  apiKey: 'required' | 'optional';
}

/** What a type needs, said under the Type field. */
export function typeNeeds(type: ProviderTypeOption | undefined): string {
  if (type === undefined) return 'Choose what the endpoint speaks.';
  const key = type.apiKey === 'required' ? 'Needs an API key.' : 'A key only if the server asks for one.';
  const endpoint =
    type.defaultEndpoint === null
      ? 'Needs an endpoint: the base URL of its OpenAI-compatible API, usually ending in /v1.'
      : `Endpoint: ${type.defaultEndpoint} unless you change it.`;
  return `${key} ${endpoint}`;
}

/**
 * The endpoint after the type changed: a preset's default replaces an empty endpoint or the
 * previous type's default; an endpoint the user typed stays.
 */
export function endpointForType(
  endpoint: string,
  from: ProviderTypeOption | undefined,
  to: ProviderTypeOption | undefined,
): string {
  const current = endpoint.trim();
  if (current !== '' && current !== from?.defaultEndpoint) return endpoint;
  return to?.defaultEndpoint ?? '';
}

export function emptyProviderForm(): ProviderFormValues {
  return { id: '', type: 'openai', endpoint: '', apiKey: '', models: '', enabled: true };
}

/** Models are typed one per line or comma separated (the seed lists them comma separated). */
export function splitModels(text: string): string[] {
  const seen = new Set<string>();
  for (const part of text.split(/[\n,]/)) {
    const name = part.trim();
    if (name !== '') seen.add(name);
  }
  return [...seen];
}

/**
 * Client-side checks that catch typos before a round trip; the control plane validates again and
 * its `data.issues` are shown by the same fields.
 */
export function validateProviderForm(
  values: ProviderFormValues,
  types: readonly ProviderTypeOption[],
  isNew = true,
): Issue[] {
  const issues: Issue[] = [];
  const id = values.id.trim();
  if (id === '') issues.push({ path: 'id', message: 'Provider ID is required' });
  else if (!SLUG.test(id)) {
    issues.push({
      path: 'id',
      message: 'Use lowercase letters, digits, ".", "_", ":" or "-" (max 64), starting with a letter or digit',
    });
  }
  const type = types.find((t) => t.value === values.type);
  if (type === undefined) issues.push({ path: 'type', message: 'Choose a provider type' });
  const endpoint = values.endpoint.trim();
  if (endpoint === '') {
    if (type?.defaultEndpoint === null) issues.push({ path: 'endpoint', message: 'Endpoint is required' });
  } else {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      issues.push({
        path: 'endpoint',
        message: 'Endpoint must be an http(s) URL, e.g. http://coderai-broker.internal:8080/v1',
      });
    } else if (url.username !== '' || url.password !== '') {
      issues.push({ path: 'endpoint', message: 'Put credentials in Token, not in the URL' });
    }
  }
  if (/\s/.test(values.apiKey.trim())) issues.push({ path: 'apiKey', message: 'Token must not contain spaces' });
  // On edit an empty token keeps the stored key.
  if (isNew && type?.apiKey === 'required' && values.apiKey.trim() === '')
    issues.push({ path: 'apiKey', message: `${type.label} needs an API key` });
  for (const name of splitModels(values.models)) {
    if (name.length > 256) issues.push({ path: 'models', message: `Model name too long: ${name.slice(0, 32)}…` });
  }
  return issues;
}

/** The `providers.upsert` input; an empty token on edit keeps the stored key. */
export function toProviderInput(values: ProviderFormValues): ProviderInput {
  const input: ProviderInput = {
    id: values.id.trim(),
    type: values.type,
    endpoint: values.endpoint.trim(),
    enabled: values.enabled,
  };
  const key = values.apiKey.trim();
  if (key !== '') input.apiKey = key;
  const models = splitModels(values.models);
  if (models.length > 0) input.models = models;
  return input;
}
