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

/** DESIGN.md §2: ids are slugs. */
export const SLUG = /^[a-z0-9][a-z0-9._:-]{0,63}$/;

export const PROVIDER_TYPES = [{ value: 'openai', label: 'OpenAI-compatible' }] as const;

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
export function validateProviderForm(values: ProviderFormValues): Issue[] {
  const issues: Issue[] = [];
  const id = values.id.trim();
  if (id === '') issues.push({ path: 'id', message: 'Provider ID is required' });
  else if (!SLUG.test(id)) {
    issues.push({
      path: 'id',
      message: 'Use lowercase letters, digits, ".", "_", ":" or "-" (max 64), starting with a letter or digit',
    });
  }
  if (!PROVIDER_TYPES.some((t) => t.value === values.type))
    issues.push({ path: 'type', message: 'Choose a provider type' });
  const endpoint = values.endpoint.trim();
  if (endpoint === '') issues.push({ path: 'endpoint', message: 'Endpoint is required' });
  else {
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
