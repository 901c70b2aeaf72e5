import { describe, expect, it } from 'vitest';
import { parseProvidersDocument, parseRotationsDocument } from './config-documents';
import { normalizeProviderModel } from './provider-config.schema';
import { rotationEntries } from './rotation-config.schema';

// AISBF's own file forms (docs/context.md "Keys"): rotations.json with the entry form
// {"provider_id", "models": [...]}, an entry without models, top-level notifyerrors; providers.json
// with the default_* family, rate_limit and api_key_required.
const rotationsJson = {
  notifyerrors: true,
  notify_on_failover: true,
  rotations: {
    coding: {
      model_name: 'coding',
      default_context_size: 32000,
      condensation: { route: 'rotation/summariser' },
      providers: [
        {
          provider_id: 'coderai-local',
          models: [
            {
              name: 'qwen2.5-coder:32b',
              weight: 6,
              error_cooldown: 60,
              max_tokens: 222,
              context_size: 4000,
              max_request_tokens: 3000,
              condense_context: 80,
              condense_method: ['conversational', 'sliding_window'],
              rate_limit: 1.5,
            },
          ],
        },
        { provider_id: 'runpod-gpu-a', weight: 3 },
      ],
    },
    quiet: { notifyerrors: false, providers: [{ provider_id: 'openai-prod', model: 'gpt-4.1-mini' }] },
  },
};

const providersJson = {
  providers: {
    'coderai-local': {
      id: 'coderai-local',
      name: 'CoderAI',
      type: 'openai',
      endpoint: 'http://coderai-broker.internal:8080/v1',
      api_key_required: false,
      rate_limit: 0.5,
      default_max_tokens: 321,
      default_context_size: 8192,
      default_condense_context: 90,
      default_condense_method: 'sliding_window',
      models: [{ name: 'qwen2.5-coder:32b', max_tokens: 222, context_size: 4000, rate_limit: 2 }],
    },
  },
};

describe("AISBF's rotations.json", () => {
  it('imports the models-list form, the provider-models form and the top-level notify flags', () => {
    const parsed = parseRotationsDocument(rotationsJson);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.warnings).toEqual([]);
    const [coding, quiet] = parsed.value.items;
    expect(coding!.config.notifyerrors).toBe(true);
    expect(coding!.config.notify_on_failover).toBe(true);
    expect(quiet!.config.notifyerrors).toBe(false); // its own setting wins
    const entries = rotationEntries(coding!.config);
    expect(entries.map((e) => [e.kind, e.weight, 'model' in e ? e.model : null])).toEqual([
      ['provider', 6, 'qwen2.5-coder:32b'],
      ['provider-models', 3, null],
    ]);
    expect(entries[0]!.limits).toEqual({
      maxTokens: 222,
      contextSize: 4000,
      maxRequestTokens: 3000,
      condenseContext: 80,
      condenseMethods: ['conversational', 'sliding_window'],
      rateLimitS: 1.5,
    });
    expect(entries[0]!.contextWindow).toBe(4000);
  });

  it('names a misspelled key, its path and the key it probably meant', () => {
    const parsed = parseRotationsDocument({
      rotations: { r: { providers: [{ provider_id: 'p', model: 'm', wieght: 5 }], condense_metod: 'x' } },
      notifyerors: true,
    });
    expect(parsed.ok && parsed.value.warnings).toEqual([
      {
        path: 'notifyerors',
        message: 'unknown key "notifyerors" (did you mean "notifyerrors"?); it is kept but has no effect',
      },
      {
        path: 'rotations.r.condense_metod',
        message: expect.stringContaining('did you mean "condense_method"') as string,
      },
      {
        path: 'rotations.r.providers[0].wieght',
        message: 'unknown key "wieght" (did you mean "weight"?); it is kept but has no effect',
      },
    ]);
  });

  it('refuses an entry with neither provider_id nor route at its path, with the expected form', () => {
    const parsed = parseRotationsDocument({ rotations: { r: { providers: [{ model: 'm' }] } } });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error[0]!.path).toBe('rotations.r.providers[0].provider_id');
    expect(parsed.error[0]!.message).toContain('"models": [{"name"');
  });
});

describe("AISBF's providers.json", () => {
  it('imports the default_* family, rate_limit, api_key_required and model keys without warnings', () => {
    const parsed = parseProvidersDocument(providersJson);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.warnings).toEqual([]);
    const config = parsed.value.items[0]!.config;
    expect(config.default_max_tokens).toBe(321);
    expect(config.rate_limit).toBe(0.5);
    expect(config.api_key_required).toBe(false);
    expect(normalizeProviderModel(config.models[0]!)).toEqual({
      name: 'qwen2.5-coder:32b',
      contextWindow: 4000,
      limits: { maxTokens: 222, rateLimitS: 2 },
    });
  });

  it('warns about a misspelled provider key', () => {
    const parsed = parseProvidersDocument({
      providers: {
        p: { endpoint: 'http://x.internal/v1', defualt_max_tokens: 5, models: [{ name: 'm', max_token: 3 }] },
      },
    });
    expect(parsed.ok && parsed.value.warnings.map((w) => [w.path, w.message.split(';')[0]])).toEqual([
      ['providers.p.defualt_max_tokens', 'unknown key "defualt_max_tokens" (did you mean "default_max_tokens"?)'],
      ['providers.p.models[0].max_token', 'unknown key "max_token" (did you mean "max_tokens"?)'],
    ]);
  });
});
