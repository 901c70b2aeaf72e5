import { describe, expect, it } from 'vitest';
import { formatRouteName, parseRouteName, type RouteName } from './route-name';

describe('parseRouteName', () => {
  const cases: Array<[string, RouteName, string]> = [
    [
      'user-provider/coderai-local/qwen2.5-coder:32b',
      { kind: 'provider', scope: 'user', providerId: 'coderai-local', model: 'qwen2.5-coder:32b' },
      'user-provider/coderai-local/qwen2.5-coder:32b',
    ],
    [
      'user-rotation/coding-production',
      { kind: 'rotation', scope: 'user', id: 'coding-production' },
      'user-rotation/coding-production',
    ],
    [
      'user-autoselect/engineering',
      { kind: 'autoselect', scope: 'user', id: 'engineering' },
      'user-autoselect/engineering',
    ],
    [
      'provider/openai-prod/gpt-4.1-mini',
      { kind: 'provider', scope: 'global', providerId: 'openai-prod', model: 'gpt-4.1-mini' },
      'provider/openai-prod/gpt-4.1-mini',
    ],
    ['rotation/general', { kind: 'rotation', scope: 'global', id: 'general' }, 'rotation/general'],
    ['autoselect/general', { kind: 'autoselect', scope: 'global', id: 'general' }, 'autoselect/general'],
    [
      'openai-prod/gpt-4.1-mini',
      { kind: 'provider', scope: 'global', providerId: 'openai-prod', model: 'gpt-4.1-mini' },
      'provider/openai-prod/gpt-4.1-mini',
    ],
    ['general', { kind: 'bare', id: 'general' }, 'general'],
    ['rotations/general', { kind: 'rotation', scope: 'any', id: 'general' }, 'rotations/general'],
    ['autoselections/eng', { kind: 'autoselect', scope: 'any', id: 'eng' }, 'autoselections/eng'],
  ];
  it.each(cases)('%s', (input, expected, canonical) => {
    const parsed = parseRouteName(input);
    expect(parsed).toEqual({ ok: true, value: expected });
    expect(formatRouteName(expected)).toBe(canonical);
    expect(parseRouteName(canonical)).toEqual({ ok: true, value: expected });
  });

  it('keeps slashes and colons of the model verbatim', () => {
    const parsed = parseRouteName('hf/meta-llama/Llama-3.1-8B-Instruct:Q4_K_M');
    expect(parsed).toEqual({
      ok: true,
      value: { kind: 'provider', scope: 'global', providerId: 'hf', model: 'meta-llama/Llama-3.1-8B-Instruct:Q4_K_M' },
    });
    const user = parseRouteName('user-provider/p/org/model/v2:latest');
    expect(user.ok && user.value.kind === 'provider' && user.value.model).toBe('org/model/v2:latest');
  });

  it.each([
    '',
    'Rotation/x',
    'user-rotation/',
    'user-rotation/a/b',
    'provider/only',
    'provider//m',
    'a/',
    '/m',
    'has space',
    'x'.repeat(401),
    'p/model with space',
  ])('refuses %j', (input) => {
    expect(parseRouteName(input).ok).toBe(false);
  });
});
