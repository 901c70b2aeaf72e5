import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, insertUsageEvents, migrateToLatest, upsertProvider, type DatabaseHandle } from '@aisbf/db';
import { createSecretBox, generateSecretKey } from '@aisbf/secrets';
import { startMockGemini, startMockOllama, type MockGemini, type MockOllama } from '@aisbf/testkit';
import { checkHealth, discoverModels } from './index';
import { servedBy } from './test-support/usage-events';

/**
 * Get Models and the free health probe of `google` and `ollama` providers (docs/providers.md):
 * `GET {endpoint}/v1beta/models` with `x-goog-api-key`, `GET {endpoint}/api/tags` with no key.
 */
describe('google and ollama providers: discovery and the free probe', () => {
  let handle: DatabaseHandle;
  let gemini: MockGemini;
  let ollama: MockOllama;
  const box = createSecretBox(generateSecretKey());
  const deps = () => ({ db: handle.db, secretBox: box, publish: async () => undefined, now: () => 5000 });

  beforeAll(async () => {
    gemini = await startMockGemini({ apiKey: 'AIza-test-key', models: ['gemini-a'] });
    ollama = await startMockOllama({ models: ['llama-a:latest'] });
    handle = createDatabase('sqlite::memory:');
    await migrateToLatest(handle.db);
    for (const [id, type, endpoint, key] of [
      ['gem', 'google', gemini.url, 'AIza-test-key'],
      // Written with the API version, as the REST docs show it: not doubled.
      ['gem-v1beta', 'google', `${gemini.url}/v1beta`, 'AIza-test-key'],
      ['llama', 'ollama', ollama.url, null],
    ] as const)
      await upsertProvider(
        handle.db,
        {
          ownerId: null,
          id,
          type,
          endpoint,
          apiKeyEnc: key === null ? null : box.encrypt(key),
          enabled: true,
          adminOnly: false,
          settings: {},
        },
        0,
      );
  });
  afterAll(async () => {
    await handle.close();
    await gemini.close();
    await ollama.close();
  });

  it('lists Gemini models without their models/ prefix, the key in x-goog-api-key', async () => {
    await expect(discoverModels(deps(), { ownerId: null, providerId: 'gem' })).resolves.toEqual({
      models: ['gemini-a', 'text-embedding-test'],
      added: ['gemini-a', 'text-embedding-test'],
      removed: [],
    });
    expect(gemini.requests.at(-1)).toMatchObject({
      path: '/v1beta/models',
      headers: { 'x-goog-api-key': 'AIza-test-key' },
    });
    expect(gemini.requests.at(-1)!.headers['authorization']).toBeUndefined();
    await expect(discoverModels(deps(), { ownerId: null, providerId: 'gem-v1beta' })).resolves.toMatchObject({
      models: ['gemini-a', 'text-embedding-test'],
    });
  });

  it("lists an Ollama's pulled models from /api/tags", async () => {
    await expect(discoverModels(deps(), { ownerId: null, providerId: 'llama' })).resolves.toEqual({
      models: ['llama-a:latest', 'embed-test'],
      added: ['llama-a:latest', 'embed-test'],
      removed: [],
    });
    expect(ollama.requests.at(-1)).toMatchObject({ method: 'GET', path: '/api/tags' });
  });

  // The periodic run only probes providers in use: each served a request a second ago.
  const used = () =>
    insertUsageEvents(
      handle.db,
      ['gem', 'gem-v1beta', 'llama'].map((id) => servedBy(null, id, 4000)),
    );

  it('probes both for free', async () => {
    await used();
    const result = await checkHealth(deps(), {});
    const status = Object.fromEntries(result.checked.map((c) => [c.providerId, [c.status, c.source]]));
    expect(status).toEqual({
      gem: ['healthy', 'probe'],
      'gem-v1beta': ['healthy', 'probe'],
      llama: ['healthy', 'probe'],
    });
  });
});
