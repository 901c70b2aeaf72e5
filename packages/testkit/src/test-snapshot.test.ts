import { createSecretBox, hashApiToken } from '@aisbf/secrets';
import { expect, it } from 'vitest';
import { buildTestSnapshot } from './test-snapshot';

it('builds a snapshot with hashed tokens, sealed keys and schema-defaulted rotations', () => {
  const box = createSecretBox('test-secret');
  const snapshot = buildTestSnapshot({
    secretBox: box,
    users: [{ username: 'alice', token: 'aisbf_alice' }],
    providers: [
      {
        id: 'mock',
        endpoint: 'http://127.0.0.1:1/v1/',
        apiKey: 'sk-up',
        models: ['m1', { name: 'm2', context_window: 4096 }],
        owner: 'alice',
      },
    ],
    rotations: [{ id: 'r', config: { providers: [{ provider_id: 'mock', model: 'm1', weight: 6 }] } }],
  });
  expect(snapshot.tokens[0]).toMatchObject({ userId: 'u-alice', hash: hashApiToken('aisbf_alice') });
  expect(JSON.stringify(snapshot)).not.toContain('sk-up');
  const provider = snapshot.providers[0];
  expect(provider?.ownerId).toBe('u-alice');
  expect(provider?.endpoint).toBe('http://127.0.0.1:1/v1');
  expect(box.decrypt(provider?.apiKeyEnc ?? '')).toBe('sk-up');
  expect(provider?.models[1]).toEqual({ name: 'm2', contextWindow: 4096 });
  expect(snapshot.rotations[0]?.config).toMatchObject({ strategy: 'priority', allowed_fails: 3, midstream: 'error' });
  expect(snapshot.rotations[0]?.ownerId).toBeNull();
});
