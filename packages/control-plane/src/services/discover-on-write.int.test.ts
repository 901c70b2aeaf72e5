import type { DiscoverModelsPayload } from '@aisbf/jobs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServicesFixture, type ServicesFixture } from '../test-support/services-fixture';
import type { Actor } from './actor';

/**
 * docs/jobs.md "Discovery follows use": no schedule per provider any more, so a provider is
 * discovered when it is written (created or changed, by hand or by import) and while it is in use.
 */
describe('a written provider is discovered at once', () => {
  let f: ServicesFixture;
  let alice: Actor;
  const soon: DiscoverModelsPayload[] = [];
  beforeAll(async () => {
    f = await createServicesFixture('sqlite::memory:', {
      jobs: {
        discoverModels: async () => ({ models: [], added: [], removed: [] }),
        discoverSoon: (payload) => void soon.push(payload),
      },
    });
    alice = await f.user('alice');
  });
  afterAll(async () => f?.close());

  it('upsert and import of an enabled provider start its discovery after the commit; a disabled one does not', async () => {
    const input = { id: 'p1', type: 'openai', endpoint: 'http://127.0.0.1:9/v1', apiKey: 'sk-own-secret-123456' };
    await f.services.providers.upsert(alice, { input });
    expect(soon).toEqual([{ ownerId: alice.userId, providerId: 'p1' }]);
    await f.services.providers.upsert(alice, { input: { ...input, endpoint: 'http://127.0.0.1:9/v2' } });
    expect(soon).toHaveLength(2);
    await f.services.providers.upsert(alice, { input: { ...input, id: 'off', enabled: false } });
    expect(soon).toHaveLength(2);
    await f.services.config.import(alice, {
      kind: 'providers',
      document: {
        providers: {
          a: { type: 'openai', endpoint: 'http://127.0.0.1:9/v1', api_key_required: false },
          b: { type: 'openai', endpoint: 'http://127.0.0.1:9/v1', api_key_required: false, enabled: false },
        },
      },
    });
    expect(soon.slice(2)).toEqual([{ ownerId: alice.userId, providerId: 'a' }]);
    // A write that fails commits nothing and starts nothing.
    await expect(
      f.services.providers.upsert(alice, { input: { id: 'bad', type: 'openai', endpoint: 'ftp://x' } }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(soon).toHaveLength(3);
  });
});
