import { describe, expect, it } from 'vitest';
import { assembleSnapshot, partitionSnapshot, userSnapshot } from '../config-parts';
import { rotationConfigSchema } from '../config/rotation-config.schema';
import type { Snapshot, SnapshotProvider } from '../snapshot';
import { listRoutes, resolveRoute } from './resolve-route';
import { indexSnapshot } from './snapshot-index';

const provider = (ownerId: string | null, id: string): SnapshotProvider => ({
  ownerId,
  id,
  type: 'openai',
  endpoint: 'http://10.0.0.1/v1',
  apiKeyEnc: null,
  enabled: true,
  adminOnly: false,
  models: [{ name: 'm' }],
  timeouts: {},
});
const rotation = (ownerId: string | null, id: string, routes: string[]) => ({
  ownerId,
  id,
  config: rotationConfigSchema.parse({
    providers: routes.map((r) => ({ provider_id: r, model: 'm', weight: 1, error_cooldown: 5 })),
  }),
});

const whole: Snapshot = {
  version: 4,
  createdAt: 1,
  users: [
    { id: 'a', username: 'alice', role: 'user', disabled: false },
    { id: 'b', username: 'bob', role: 'user', disabled: false },
  ],
  tokens: [{ id: 't', userId: 'a', name: 't', hash: 'h'.repeat(64), expiresAt: null }],
  providers: [provider(null, 'shared'), provider('a', 'own'), provider('b', 'own')],
  rotations: [
    rotation(null, 'global-r', ['shared']),
    rotation('a', 'mine', ['own', 'shared']),
    {
      ...rotation('a', 'nested', ['own']),
      config: rotationConfigSchema.parse({ providers: [{ route: 'rotation/global-r', weight: 1 }] }),
    },
  ],
  autoselects: [],
};

describe('a user part indexed over the global index (docs/cluster.md "Partitioned propagation")', () => {
  it('resolves and lists exactly what the whole snapshot gives that user, and nothing of another user', () => {
    const { global, users } = partitionSnapshot(whole);
    const globalIndex = indexSnapshot(assembleSnapshot(global, []));
    const alice = users.find((u) => u.user.id === 'a')!;
    const layered = indexSnapshot(userSnapshot(alice, global.createdAt), globalIndex);
    const full = indexSnapshot(whole);
    const caller = { user: alice.user };
    expect(listRoutes(layered, caller)).toEqual(listRoutes(full, caller));
    for (const name of ['mine', 'nested', 'global-r', 'user-provider/own/m', 'provider/shared/m']) {
      const a = resolveRoute(layered, caller, name);
      const b = resolveRoute(full, caller, name);
      expect(a.ok, name).toBe(true);
      expect(JSON.stringify(a)).toEqual(JSON.stringify(b));
    }
    // Bob's provider is not in Alice's index; the global rotation is the global index's own object.
    expect(layered.providers.has('b|own')).toBe(false);
    expect(layered.rotations.get('*|global-r')).toBe(globalIndex.rotations.get('*|global-r'));
    expect(layered.tokensByHash.get('h'.repeat(64))?.user.username).toBe('alice');
  });
});
