import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexSnapshot } from '@aisbf/core';
import { loadSnapshot } from '@aisbf/db';
import { createServicesFixture, type ServicesFixture } from '../test-support/services-fixture';
import type { Actor } from './actor';

/**
 * docs/context.md: AISBF's providers.json and rotations.json forms import as they are, their
 * context keys reach the snapshot resolved in AISBF's order, and a key aisbf does not know comes
 * back as a warning naming its path and the key it probably meant.
 */
describe("AISBF's context keys through the services", () => {
  let f: ServicesFixture;
  let alice: Actor;
  beforeAll(async () => {
    f = await createServicesFixture('sqlite::memory:');
    alice = await f.user('alice');
  });
  afterAll(async () => {
    await f?.close();
  });

  it('imports the default_* family and per-model keys, resolved rotation model → provider model → provider default', async () => {
    const providers = {
      providers: {
        local: {
          type: 'openai',
          endpoint: 'http://127.0.0.1:9/v1',
          api_key_required: false,
          rate_limit: 0.25,
          default_max_tokens: 321,
          default_context_size: 8192,
          models: [{ name: 'small', max_tokens: 222, context_size: 4000, condense_method: 'sliding_window' }, 'big'],
        },
      },
    };
    const imported = await f.services.config.import(alice, { kind: 'providers', document: providers });
    expect(imported).toEqual({ created: ['local'], updated: [], warnings: [] });
    const rotations = {
      notifyerrors: true,
      rotations: {
        coding: {
          default_max_request_tokens: 7000,
          providers: [
            { provider_id: 'local', models: [{ name: 'small', weight: 5, max_tokens: 111 }] },
            { provider_id: 'local', weight: 1 },
          ],
        },
      },
    };
    const result = await f.services.config.import(alice, { kind: 'rotations', document: rotations });
    expect(result).toEqual({ created: ['coding'], updated: [], warnings: [] });

    const index = indexSnapshot(await loadSnapshot(f.handle.db));
    const rotation = [...index.rotations.values()].find((r) => r.id === 'coding')!;
    expect(rotation.rotation.config.notifyerrors).toBe(true);
    expect(
      rotation.entries.map((e) => [e.target?.model, e.entry.weight, e.limits.maxTokens, e.limits.contextSize]),
    ).toEqual([
      ['small', 5, 111, 4000], // the rotation's model wins
      ['small', 1, 222, 4000], // provider model
      ['big', 1, 321, 8192], // provider defaults
    ]);
    expect(rotation.entries[2]!.limits.maxRequestTokens).toBe(7000); // rotation default
    expect(rotation.entries[1]!.limits.condenseMethods).toEqual(['sliding_window']);
    const provider = [...index.providers.values()].find((p) => p.provider.id === 'local')!;
    expect(provider.provider.rateLimitS).toBe(0.25);
  });

  it('returns unknown keys as warnings from import and from upserts', async () => {
    const result = await f.services.config.import(alice, {
      kind: 'rotations',
      document: { rotations: { typo: { providers: [{ provider_id: 'local', model: 'big', wieght: 5 }] } } },
    });
    expect(result.warnings).toEqual([
      {
        path: 'rotations.typo.providers[0].wieght',
        message: 'unknown key "wieght" (did you mean "weight"?); it is kept but has no effect',
      },
    ]);
    const upserted = await f.services.rotations.upsert(alice, {
      id: 'typo',
      config: { providers: [{ provider_id: 'local', model: 'big' }], notifyerorrs: true },
    });
    expect(upserted.warnings.map((w) => w.path)).toEqual(['notifyerorrs']);
    expect(upserted.warnings[0]!.message).toContain('did you mean "notifyerrors"');
    const provider = await f.services.providers.upsert(alice, {
      input: { id: 'local', type: 'openai', endpoint: 'http://127.0.0.1:9/v1', default_max_token: 5 },
    });
    expect(provider.warnings[0]).toMatchObject({ path: 'default_max_token' });
    expect(provider.warnings[0]!.message).toContain('did you mean "default_max_tokens"');
  });

  it("drops a credential an unknown key carries (AISBF's per-entry api_key) instead of storing it in plaintext", async () => {
    const secret = 'sk-entry-secret-0123456789';
    const result = await f.services.config.import(alice, {
      kind: 'rotations',
      document: {
        rotations: {
          keyed: {
            providers: [{ provider_id: 'local', api_key: secret, models: [{ name: 'big', weight: 2, token: secret }] }],
          },
        },
      },
    });
    expect(result.warnings.map((w) => w.path)).toEqual([
      'rotations.keyed.providers[0].api_key',
      'rotations.keyed.providers[0].models[0].token',
    ]);
    expect(result.warnings[0]!.message).toContain('it looks like a credential, so it is not stored');
    const upserted = await f.services.rotations.upsert(alice, {
      id: 'keyed2',
      config: { providers: [{ provider_id: 'local', model: 'big', apiKey: secret }], webhook_secret: secret },
    });
    expect(upserted.warnings.map((w) => w.path)).toEqual(['webhook_secret', 'providers[0].apiKey']);
    const provider = await f.services.providers.upsert(alice, {
      input: { id: 'local', type: 'openai', endpoint: 'http://127.0.0.1:9/v1', client_secret: secret },
    });
    expect(provider.warnings.map((w) => w.path)).toEqual(['client_secret']);
    // Nothing stored, exported, snapshotted or echoed carries the secret; the rest of the entry is kept.
    const stored = JSON.stringify([
      upserted,
      provider,
      await f.services.config.export(alice),
      await loadSnapshot(f.handle.db),
    ]);
    expect(stored).not.toContain(secret);
    const exported = await f.services.config.export(alice);
    expect((exported.rotations as { rotations: Record<string, unknown> }).rotations['keyed']).toEqual({
      providers: [{ provider_id: 'local', models: [{ name: 'big', weight: 2 }] }],
    });
  });
});
