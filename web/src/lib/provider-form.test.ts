// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { emptyProviderForm, splitModels, toProviderInput, validateProviderForm } from './provider-form';

const seed = {
  ...emptyProviderForm(),
  id: 'coderai-local',
  endpoint: 'http://coderai-broker.internal:8080/v1',
  apiKey: 'broker-token',
};

describe('provider form validation', () => {
  it('accepts the seed coderai-local provider', () => {
    expect(validateProviderForm(seed)).toEqual([]);
  });

  it('reports each missing or malformed field by its path', () => {
    const issues = validateProviderForm({ ...emptyProviderForm(), id: 'Bad ID', endpoint: 'ftp://x' });
    expect(issues.map((i) => i.path).sort()).toEqual(['endpoint', 'id']);
    expect(
      validateProviderForm(emptyProviderForm())
        .map((i) => i.path)
        .sort(),
    ).toEqual(['endpoint', 'id']);
  });

  it('refuses credentials in the endpoint URL and whitespace in the token', () => {
    const issues = validateProviderForm({ ...seed, endpoint: 'http://user:pw@host/v1', apiKey: 'a b' });
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
});
