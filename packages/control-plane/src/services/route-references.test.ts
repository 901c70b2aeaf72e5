import { autoselectConfigSchema, rotationConfigSchema } from '@aisbf/core';
import type { StoredProvider } from '@aisbf/db';
import { describe, expect, it } from 'vitest';
import {
  autoselectReferenceIssues,
  routeProblem,
  rotationReferenceIssues,
  type ReferenceIndex,
} from './route-references';

const provider = (ownerId: string | null, id: string, models: string[]): StoredProvider => ({
  rowId: `${ownerId ?? 'g'}-${id}`,
  ownerId,
  id,
  type: 'openai',
  endpoint: 'http://x/v1',
  apiKeyEnc: null,
  apiKeyHint: null,
  enabled: true,
  adminOnly: false,
  settings: {},
  models: models.map((name) => ({ name, source: 'config', discoveredAt: null })),
  createdAt: 0,
  updatedAt: 0,
});

const index = (ownerId: string | null): ReferenceIndex => ({
  ownerId,
  providers: new Map(
    ownerId === null
      ? []
      : [
          ['mine', provider(ownerId, 'mine', ['m1'])],
          ['open', provider(ownerId, 'open', [])],
        ],
  ),
  globalProviders: new Map([['shared', provider(null, 'shared', ['g1'])]]),
  rotations: new Set(ownerId === null ? [] : ['own-rot']),
  globalRotations: new Set(['global-rot']),
  autoselects: new Set(ownerId === null ? [] : ['own-auto']),
  globalAutoselects: new Set(),
});

describe('route references', () => {
  it('resolves route names like the data plane: own first, then global; globals see only globals', () => {
    const user = index('u1');
    expect(routeProblem(user, 'user-provider/mine/m1')).toBeNull();
    expect(routeProblem(user, 'user-provider/open/anything:7b')).toBeNull();
    expect(routeProblem(user, 'user-provider/mine/m2')).toContain('has no model "m2"');
    expect(routeProblem(user, 'shared/g1')).toBeNull();
    expect(routeProblem(user, 'provider/mine/m1')).toBe('global provider "mine" does not exist');
    expect(routeProblem(user, 'own-rot')).toBeNull();
    expect(routeProblem(user, 'global-rot')).toBeNull();
    expect(routeProblem(user, 'user-rotation/global-rot')).toBe('rotation "global-rot" does not exist');
    expect(routeProblem(user, 'user-autoselect/own-auto')).toBeNull();
    expect(routeProblem(user, 'BAD NAME')).toContain('not a valid route name');
    const global = index(null);
    expect(routeProblem(global, 'user-rotation/own-rot')).toContain('a global route may only use global ones');
    expect(routeProblem(global, 'user-provider/mine/m1')).toContain('global route may only use global providers');
    expect(routeProblem(global, 'rotation/global-rot')).toBeNull();
  });

  it('names the exact entry path of each broken rotation reference', () => {
    const config = rotationConfigSchema.parse({
      providers: [
        { provider_id: 'mine', model: 'm1' },
        { provider_id: 'ghost', model: 'x' },
        { provider_id: 'mine', model: 'nope' },
        { route: 'user-rotation/ghost' },
      ],
      models: [{ name: 'shared/g1' }, { name: 'shared/zzz' }],
    });
    expect(rotationReferenceIssues(index('u1'), config, ['rotations', 'r'])).toEqual([
      { path: 'rotations.r.providers[1].provider_id', message: 'provider "ghost" does not exist' },
      { path: 'rotations.r.providers[2].model', message: expect.stringContaining('no model "nope"') },
      { path: 'rotations.r.providers[3].route', message: 'rotation "ghost" does not exist' },
      { path: 'rotations.r.models[1].name', message: expect.stringContaining('no model "zzz"') },
    ]);
  });

  it('requires fallback and candidates to resolve, and only warns about the selection model', () => {
    const config = autoselectConfigSchema.parse({
      selection_model: 'general',
      fallback: 'own-rot',
      available_models: [{ model_id: 'own-rot' }, { model_id: 'user-provider/ghost/m' }],
    });
    expect(autoselectReferenceIssues(index('u1'), config, [])).toEqual({
      issues: [{ path: 'available_models[1].model_id', message: 'your provider "ghost" does not exist' }],
      warnings: [{ path: 'selection_model', message: expect.stringContaining('"general" does not exist') }],
    });
  });
});
