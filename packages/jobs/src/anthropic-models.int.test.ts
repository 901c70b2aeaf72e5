import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, insertUsageEvents, migrateToLatest, upsertProvider, type DatabaseHandle } from '@aisbf/db';
import { createSecretBox, generateSecretKey } from '@aisbf/secrets';
import { startMockAnthropic, type MockAnthropic } from '@aisbf/testkit';
import { checkHealth, discoverModels } from './index';
import { servedBy } from './test-support/usage-events';

/** Get Models and the free health probe of an `anthropic` provider: `GET {endpoint}/v1/models` with `x-api-key`. */
describe('anthropic providers: discovery and the free probe', () => {
  let handle: DatabaseHandle;
  let fake: MockAnthropic;
  const box = createSecretBox(generateSecretKey());
  const deps = () => ({ db: handle.db, secretBox: box, publish: async () => undefined, now: () => 5000 });

  beforeAll(async () => {
    fake = await startMockAnthropic({ apiKey: 'sk-ant-key-1234', models: ['claude-a', 'claude-b'] });
    handle = createDatabase('sqlite::memory:');
    await migrateToLatest(handle.db);
    for (const [id, endpoint, key] of [
      ['claude', fake.url, 'sk-ant-key-1234'],
      // Written with the version, as some users do: not doubled.
      ['claude-v1', `${fake.url}/v1`, 'sk-ant-key-1234'],
      ['claude-bad-key', fake.url, 'wrong-key'],
    ] as const)
      await upsertProvider(
        handle.db,
        {
          ownerId: null,
          id,
          type: 'anthropic',
          endpoint,
          apiKeyEnc: box.encrypt(key),
          enabled: true,
          adminOnly: false,
          settings: {},
        },
        0,
      );
  });
  afterAll(async () => {
    await handle.close();
    await fake.close();
  });

  it('lists the models with the key in x-api-key', async () => {
    await expect(discoverModels(deps(), { ownerId: null, providerId: 'claude' })).resolves.toEqual({
      models: ['claude-a', 'claude-b'],
      added: ['claude-a', 'claude-b'],
      removed: [],
    });
    expect(fake.requests.at(-1)).toMatchObject({
      path: '/v1/models',
      headers: { 'x-api-key': 'sk-ant-key-1234', 'anthropic-version': '2023-06-01' },
    });
    expect(fake.requests.at(-1)!.headers['authorization']).toBeUndefined();
    await expect(discoverModels(deps(), { ownerId: null, providerId: 'claude-v1' })).resolves.toMatchObject({
      models: ['claude-a', 'claude-b'],
    });
    await expect(discoverModels(deps(), { ownerId: null, providerId: 'claude-bad-key' })).rejects.toThrow(
      /answered 401/,
    );
  });

  // The periodic run only probes providers in use: each served a request a second ago.
  const used = () =>
    insertUsageEvents(
      handle.db,
      ['claude', 'claude-v1', 'claude-bad-key'].map((id) => servedBy(null, id, 4000)),
    );

  it('probes for free: healthy with the right key; a refused key is no proof of health', async () => {
    await used();
    const result = await checkHealth(deps(), {});
    const status = Object.fromEntries(result.checked.map((c) => [c.providerId, [c.status, c.source]]));
    expect(status).toEqual({
      claude: ['healthy', 'probe'],
      'claude-v1': ['healthy', 'probe'],
      // Only connection faults judge a provider (docs/reliability.md); a 401 proves nothing either way.
      'claude-bad-key': ['unknown', 'probe'],
    });
  });
});
