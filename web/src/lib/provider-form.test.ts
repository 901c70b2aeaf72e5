// @vitest-environment node
import { describe, expect, it } from 'vitest';
import {
  emptyProviderForm,
  endpointForType,
  splitModels,
  toProviderInput,
  typeNeeds,
  validateProviderForm,
} from './provider-form';
import { PROVIDER_TYPES_FIXTURE as TYPES } from './provider-types.fixture';

const seed = {
  ...emptyProviderForm(),
  id: 'coderai-local',
  endpoint: 'http://coderai-broker.internal:8080/v1',
  apiKey: 'broker-token',
};

describe('provider form validation', () => {
  it('accepts the seed coderai-local provider', () => {
    expect(validateProviderForm(seed, TYPES)).toEqual([]);
  });

  it('reports each missing or malformed field by its path', () => {
    const issues = validateProviderForm({ ...emptyProviderForm(), id: 'Bad ID', endpoint: 'ftp://x' }, TYPES);
    expect(issues.map((i) => i.path).sort()).toEqual(['endpoint', 'id']);
    expect(
      validateProviderForm(emptyProviderForm(), TYPES)
        .map((i) => i.path)
        .sort(),
    ).toEqual(['endpoint', 'id']);
  });

  it('refuses credentials in the endpoint URL and whitespace in the token', () => {
    const issues = validateProviderForm({ ...seed, endpoint: 'http://user:pw@host/v1', apiKey: 'a b' }, TYPES);
    expect(issues.map((i) => i.path).sort()).toEqual(['apiKey', 'endpoint']);
  });

  it('splits models on commas and lines, dropping blanks and duplicates', () => {
    expect(splitModels('deepseek-coder-v2, mixtral-8x22b-instruct\n\nqwen2.5-coder:32b,deepseek-coder-v2')).toEqual([
      'deepseek-coder-v2',
      'mixtral-8x22b-instruct',
      'qwen2.5-coder:32b',
    ]);
  });

  it('omits an empty token so an edit keeps the stored key', () => {
    expect(toProviderInput({ ...seed, apiKey: '  ' })).toEqual({
      id: 'coderai-local',
      type: 'openai',
      endpoint: 'http://coderai-broker.internal:8080/v1',
      enabled: true,
    });
    expect(toProviderInput({ ...seed, models: 'a,b' })).toMatchObject({ apiKey: 'broker-token', models: ['a', 'b'] });
  });

  it('asks for an endpoint only when the type has no default, and for a key only when the vendor needs one', () => {
    const groq = { ...emptyProviderForm(), id: 'g', type: 'groq' };
    expect(validateProviderForm(groq, TYPES).map((i) => i.path)).toEqual(['apiKey']);
    expect(validateProviderForm({ ...groq, apiKey: 'gsk' }, TYPES)).toEqual([]);
    // Editing: an empty key keeps the stored one.
    expect(validateProviderForm(groq, TYPES, false)).toEqual([]);
    expect(validateProviderForm({ ...groq, type: 'ollama' }, TYPES)).toEqual([]);
    expect(validateProviderForm({ ...groq, type: 'bedrock', apiKey: 'k' }, TYPES).map((i) => i.path)).toEqual(['type']);
  });

  it("fills a preset's default endpoint unless the user typed their own", () => {
    const [openai, google, , groq] = TYPES;
    expect(endpointForType('', openai, groq)).toBe('https://api.groq.com/openai/v1');
    expect(endpointForType('https://api.groq.com/openai/v1', groq, google)).toBe(
      'https://generativelanguage.googleapis.com',
    );
    expect(endpointForType('https://api.groq.com/openai/v1', groq, openai)).toBe('');
    expect(endpointForType('http://my-proxy:8080/v1', openai, groq)).toBe('http://my-proxy:8080/v1');
    expect(typeNeeds(groq)).toBe('Needs an API key. Endpoint: https://api.groq.com/openai/v1 unless you change it.');
    expect(typeNeeds(openai)).toMatch(/^A key only if the server asks for one\. Needs an endpoint/);
  });
});
