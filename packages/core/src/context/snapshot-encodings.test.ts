import { describe, expect, it } from 'vitest';
import { rotationConfigSchema } from '../config/rotation-config.schema';
import { emptySnapshot, type Snapshot, type SnapshotProvider } from '../snapshot';
import { snapshotEncodings } from './snapshot-encodings';

const provider = (id: string, models: string[]): SnapshotProvider =>
  ({ ownerId: null, id, models: models.map((name) => ({ name })) }) as unknown as SnapshotProvider;

describe('snapshotEncodings', () => {
  it("lists the published tokenizers of the providers' models and the rotations' entries, once each", () => {
    const snapshot: Snapshot = {
      ...emptySnapshot(1, 0),
      providers: [provider('lan', ['qwen2.5-coder:32b', 'llama3']), provider('oai', ['gpt-4.1-mini', 'gpt-4o'])],
      rotations: [
        {
          ownerId: null,
          id: 'r',
          config: rotationConfigSchema.parse({ providers: [{ provider_id: 'oai', model: 'gpt-3.5-turbo' }] }),
        },
      ],
    };
    expect(snapshotEncodings(snapshot)).toEqual(['cl100k_base', 'o200k_base']);
  });

  it('is empty when no model has a published tokenizer (nothing to load)', () => {
    expect(snapshotEncodings({ ...emptySnapshot(1, 0), providers: [provider('lan', ['qwen3', 'mixtral'])] })).toEqual(
      [],
    );
  });
});
