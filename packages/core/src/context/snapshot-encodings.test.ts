import { describe, expect, it } from 'vitest';
import { autoselectConfigSchema } from '../config/autoselect-config.schema';
import type { ProviderModel } from '../config/provider-config.schema';
import { rotationConfigSchema, type RotationConfigInput } from '../config/rotation-config.schema';
import { emptySnapshot, type Snapshot, type SnapshotProvider } from '../snapshot';
import { snapshotEncodings } from './snapshot-encodings';

const provider = (
  id: string,
  models: Array<string | ProviderModel>,
  extra: Partial<SnapshotProvider> = {},
): SnapshotProvider => ({
  ownerId: null,
  id,
  type: 'openai',
  endpoint: `http://127.0.0.1:1/${id}`,
  apiKeyEnc: null,
  enabled: true,
  adminOnly: false,
  models: models.map((m) => (typeof m === 'string' ? { name: m } : m)),
  timeouts: {},
  ...extra,
});
const rotation = (id: string, config: RotationConfigInput) => ({
  ownerId: null,
  id,
  config: rotationConfigSchema.parse(config),
});
const snapshot = (parts: Partial<Snapshot>): Snapshot => ({ ...emptySnapshot(1, 0), ...parts });

// GPT models everywhere, and condensation keys without a window: nothing ever counts exactly.
const noWindow = (): Snapshot =>
  snapshot({
    providers: [
      provider('lan', ['qwen2.5-coder:32b', { name: 'llama3', contextWindow: 8192 }]),
      provider('oai', ['gpt-4.1-mini', 'gpt-4o', 'gpt-4'], { limits: { condenseMethods: ['sliding_window'] } }),
    ],
    rotations: [
      rotation('r', {
        condense_method: 'conversational',
        providers: [
          { provider_id: 'oai', model: 'gpt-3.5-turbo', condense_context: 50 },
          { provider_id: 'lan', model: 'llama3' },
        ],
      }),
    ],
  });

describe('snapshotEncodings (what a data-plane node preloads)', () => {
  it('is empty when no GPT model has a window or max_request_tokens, whatever models are named', () => {
    expect(snapshotEncodings(noWindow())).toEqual([]);
  });

  it("lists a provider model's tokenizer when its window is known (a direct route checks it)", () => {
    const s = noWindow();
    s.providers[1]!.models[1] = { name: 'gpt-4o', contextWindow: 128_000 };
    expect(snapshotEncodings(s)).toEqual(['o200k_base']);
  });

  it("covers every model of a provider with a default window, and a model's max_request_tokens", () => {
    const byDefault = noWindow();
    byDefault.providers[1]!.limits = { contextSize: 128_000 };
    expect(snapshotEncodings(byDefault)).toEqual(['cl100k_base', 'o200k_base']);
    const byModel = noWindow();
    byModel.providers[1]!.models[2] = { name: 'gpt-4', limits: { maxRequestTokens: 4000 } };
    expect(snapshotEncodings(byModel)).toEqual(['cl100k_base']);
  });

  it("lists a rotation entry's tokenizer when the entry or the rotation sets a window", () => {
    const byEntry = noWindow();
    byEntry.rotations[0] = rotation('r', {
      providers: [{ provider_id: 'oai', model: 'gpt-3.5-turbo', context_size: 16_000 }],
    });
    expect(snapshotEncodings(byEntry)).toEqual(['cl100k_base']);
    const byRotation = noWindow();
    byRotation.rotations[0] = rotation('r', {
      default_max_request_tokens: 8000,
      providers: [{ provider_id: 'oai', model: 'o3-mini' }],
    });
    expect(snapshotEncodings(byRotation)).toEqual(['o200k_base']);
  });

  it('skips an entry that can never serve (its provider is disabled)', () => {
    const s = noWindow();
    s.providers[1]!.enabled = false;
    s.rotations[0] = rotation('r', { providers: [{ provider_id: 'oai', model: 'gpt-4o', context_size: 16_000 }] });
    expect(snapshotEncodings(s)).toEqual([]);
  });

  it("lists every GPT model's tokenizer when an autoselect sets a default window (its candidates resolve per caller)", () => {
    const s = noWindow();
    s.autoselects = [
      {
        ownerId: null,
        id: 'auto',
        config: autoselectConfigSchema.parse({
          classify_semantic: false,
          fallback: 'rotation/r',
          available_models: [{ model_id: 'rotation/r' }],
          default_context_size: 32_000,
        }),
      },
    ];
    expect(snapshotEncodings(s)).toEqual(['cl100k_base', 'o200k_base']);
  });
});
