import { describe, expect, it } from 'vitest';
import { rotationConfigSchema, type RotationConfigInput } from '../config/rotation-config.schema';
import { autoselectConfigSchema } from '../config/autoselect-config.schema';
import { emptySnapshot, type Snapshot, type SnapshotProvider, type SnapshotUser } from '../snapshot';
import { listRoutes, resolveRoute } from './resolve-route';
import { indexSnapshot } from './snapshot-index';

const alice: SnapshotUser = { id: 'u-alice', username: 'alice', role: 'user', disabled: false };
const bob: SnapshotUser = { id: 'u-bob', username: 'bob', role: 'user', disabled: false };
const admin: SnapshotUser = { id: 'u-admin', username: 'admin', role: 'admin', disabled: false };

const provider = (
  ownerId: string | null,
  id: string,
  models: string[],
  extra: Partial<SnapshotProvider> = {},
): SnapshotProvider => ({
  ownerId,
  id,
  type: 'openai',
  endpoint: `http://127.0.0.1:1/${id}`,
  apiKeyEnc: null,
  enabled: true,
  adminOnly: false,
  models: models.map((name) => ({ name })),
  timeouts: {},
  ...extra,
});
const rotation = (ownerId: string | null, id: string, config: RotationConfigInput) => ({
  ownerId,
  id,
  config: rotationConfigSchema.parse(config),
});

function fixture(): Snapshot {
  return {
    ...emptySnapshot(7, 0),
    users: [alice, bob, admin],
    tokens: [{ id: 't1', userId: 'u-alice', name: 'ci', hash: 'h1', expiresAt: null }],
    providers: [
      provider('u-alice', 'coderai-local', ['qwen2.5-coder:32b']),
      provider('u-alice', 'runpod-gpu-a', ['deepseek-coder-v2']),
      provider(null, 'openai-prod', ['gpt-4.1-mini']),
      provider(null, 'secret-lab', ['big'], { adminOnly: true }),
      provider(null, 'off', ['m'], { enabled: false }),
      provider(null, 'hf', ['meta-llama/Llama-3.1-8B:Q4']),
    ],
    rotations: [
      rotation('u-alice', 'coding-production', {
        providers: [
          { provider_id: 'coderai-local', model: 'qwen2.5-coder:32b', weight: 6, error_cooldown: 60 },
          { provider_id: 'runpod-gpu-a', model: 'deepseek-coder-v2', weight: 3, error_cooldown: 120 },
          { provider_id: 'openai-prod', model: 'gpt-4.1-mini', weight: 1, error_cooldown: 300 },
          { provider_id: 'nope', model: 'x' },
        ],
        privacy: true,
      }),
      rotation(null, 'general', { providers: [{ provider_id: 'openai-prod', model: 'gpt-4.1-mini' }] }),
      rotation('u-alice', 'general', {
        models: [{ name: 'rotation/general' }, { name: 'provider/hf/meta-llama/Llama-3.1-8B:Q4' }],
      }),
      rotation(null, 'loop-a', { providers: [{ route: 'rotation/loop-b' }] }),
      rotation(null, 'loop-b', { providers: [{ route: 'rotation/loop-a' }] }),
      rotation(null, 'self', { models: [{ name: 'self' }] }),
      rotation(null, 'd1', { models: [{ name: 'd2' }] }),
      rotation(null, 'd2', { models: [{ name: 'd3' }] }),
      rotation(null, 'd3', { models: [{ name: 'd4' }] }),
      rotation(null, 'd4', { models: [{ name: 'd5' }] }),
      rotation(null, 'd5', { models: [{ name: 'general' }] }),
    ],
    autoselects: [
      {
        ownerId: 'u-alice',
        id: 'engineering',
        config: autoselectConfigSchema.parse({
          selection_model: 'general',
          fallback: 'user-rotation/coding-production',
          available_models: [{ model_id: 'user-rotation/coding-production', privacy: true }],
        }),
      },
    ],
  };
}

describe('indexSnapshot + resolveRoute', () => {
  const index = indexSnapshot(fixture());
  const asAlice = { user: alice };

  it('looks up tokens and users in O(1) maps', () => {
    expect(index.tokensByHash.get('h1')?.user.username).toBe('alice');
    expect(index.usersByName.get('bob')).toBe(bob);
  });

  it('resolves user-provider and keeps the model verbatim, scoped by owner', () => {
    const r = resolveRoute(index, asAlice, 'user-provider/coderai-local/qwen2.5-coder:32b');
    expect(r.ok && r.value.kind === 'provider' && [r.value.target.model, r.value.target.key]).toEqual([
      'qwen2.5-coder:32b',
      'u-alice|coderai-local|qwen2.5-coder:32b',
    ]);
    expect(resolveRoute(index, { user: bob }, 'user-provider/coderai-local/qwen2.5-coder:32b')).toMatchObject({
      ok: false,
      error: { kind: 'not-found' },
    });
  });

  it('resolves global shorthands and model names with slashes', () => {
    const r = resolveRoute(index, asAlice, 'hf/meta-llama/Llama-3.1-8B:Q4');
    expect(r.ok && r.value.kind === 'provider' && r.value.target.key).toBe('*|hf|meta-llama/Llama-3.1-8B:Q4');
    expect(resolveRoute(index, asAlice, 'openai-prod/not-listed')).toMatchObject({
      ok: false,
      error: { kind: 'not-found' },
    });
  });

  it('hides admin-only providers from users', () => {
    expect(resolveRoute(index, asAlice, 'provider/secret-lab/big').ok).toBe(false);
    expect(resolveRoute(index, { user: admin }, 'provider/secret-lab/big').ok).toBe(true);
  });

  it("a bare id is the user's own first, else the global one", () => {
    const own = resolveRoute(index, asAlice, 'general');
    expect(own.ok && own.value.route).toBe('user-rotation/general');
    const theirs = resolveRoute(index, { user: bob }, 'general');
    expect(theirs.ok && theirs.value.route).toBe('rotation/general');
    const synonym = resolveRoute(index, { user: bob }, 'rotations/general');
    expect(synonym.ok && synonym.value.route).toBe('rotation/general');
    const auto = resolveRoute(index, asAlice, 'autoselections/engineering');
    expect(auto.ok && auto.value.kind).toBe('autoselect');
  });

  it("resolves the seed rotation's entries in the owner's scope, marking unusable ones", () => {
    const r = resolveRoute(index, asAlice, 'user-rotation/coding-production');
    if (!r.ok || r.value.kind !== 'rotation') throw new Error('expected a rotation');
    expect(r.value.entries.map((e) => e.target?.key ?? null)).toEqual([
      'u-alice|coderai-local|qwen2.5-coder:32b',
      'u-alice|runpod-gpu-a|deepseek-coder-v2',
      '*|openai-prod|gpt-4.1-mini',
      null,
    ]);
    expect(r.value.entries[3]!.problem).toContain('nope');
  });

  it('nests rotations and reports loops and excessive depth as configuration errors naming the chain', () => {
    const nested = resolveRoute(index, asAlice, 'user-rotation/general');
    expect(nested.ok && nested.value.kind === 'rotation' && nested.value.entries[0]!.nested?.route).toBe(
      'rotation/general',
    );
    expect(resolveRoute(index, asAlice, 'rotation/loop-a')).toEqual({
      ok: false,
      error: {
        kind: 'config',
        message: expect.stringContaining('rotation/loop-a → rotation/loop-b → rotation/loop-a'),
      },
    });
    expect(resolveRoute(index, asAlice, 'rotation/loop-b')).toMatchObject({ ok: false, error: { kind: 'config' } });
    expect(resolveRoute(index, asAlice, 'rotation/self')).toMatchObject({
      ok: false,
      error: { kind: 'config', message: expect.stringContaining('loop') },
    });
    expect(resolveRoute(index, asAlice, 'rotation/d1')).toMatchObject({
      ok: false,
      error: { kind: 'config', message: expect.stringContaining('deeper') },
    });
    expect(resolveRoute(index, asAlice, 'rotation/d3').ok).toBe(true);
  });

  it('invalid and unknown names are typed errors', () => {
    expect(resolveRoute(index, asAlice, 'Not Valid')).toMatchObject({ ok: false, error: { kind: 'invalid' } });
    expect(resolveRoute(index, asAlice, 'user-rotation/missing')).toMatchObject({
      ok: false,
      error: { kind: 'not-found', message: expect.stringContaining('GET /models') },
    });
  });

  it('listRoutes gives exactly the callable names', () => {
    const names = listRoutes(index, asAlice);
    expect(names).toContain('user-provider/coderai-local/qwen2.5-coder:32b');
    expect(names).toContain('provider/hf/meta-llama/Llama-3.1-8B:Q4');
    expect(names).toContain('user-autoselect/engineering');
    expect(names).not.toContain('provider/secret-lab/big');
    expect(names).not.toContain('provider/off/m');
    expect(names).not.toContain('rotation/loop-a');
    for (const name of names) expect(resolveRoute(index, asAlice, name).ok, name).toBe(true);
    expect(listRoutes(index, { user: bob })).not.toContain('user-rotation/coding-production');
  });
});
