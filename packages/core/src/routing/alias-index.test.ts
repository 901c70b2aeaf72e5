import { describe, expect, it } from 'vitest';
import { autoselectConfigSchema } from '../config/autoselect-config.schema';
import { routeAliasesSchema } from '../config/route-aliases.schema';
import { rotationConfigSchema, type RotationConfigInput } from '../config/rotation-config.schema';
import { emptySnapshot, type SnapshotUser } from '../snapshot';
import { listAliases, resolveRoute } from './resolve-route';
import { indexSnapshot } from './snapshot-index';

const alice: SnapshotUser = { id: 'u-alice', username: 'alice', role: 'user', disabled: false };
const bob: SnapshotUser = { id: 'u-bob', username: 'bob', role: 'user', disabled: false };
const entry = { providers: [{ provider_id: 'p', model: 'm' }] };
const rotation = (ownerId: string | null, id: string, config: RotationConfigInput) => ({
  ownerId,
  id,
  config: rotationConfigSchema.parse(config),
});

const index = indexSnapshot({
  ...emptySnapshot(1, 0),
  users: [alice, bob],
  providers: [
    {
      ownerId: null,
      id: 'p',
      type: 'openai',
      endpoint: 'http://127.0.0.1:1/v1',
      apiKeyEnc: null,
      enabled: true,
      adminOnly: false,
      models: [{ name: 'm' }],
      timeouts: {},
    },
  ],
  rotations: [
    rotation(null, 'global-claude', { ...entry, aliases: ['claude-*', 'gpt-5-codex'] }),
    rotation(null, 'global-any', { ...entry, aliases: ['*'] }),
    rotation('u-alice', 'mine', { ...entry, aliases: ['claude-sonnet-*'] }),
    rotation('u-alice', 'a-first', { ...entry, aliases: ['gpt-5-codex'] }),
    rotation('u-alice', 'z-second', { ...entry, aliases: ['gpt-5-codex'] }),
    rotation('u-alice', 'loop', { models: [{ name: 'user-rotation/loop' }], aliases: ['loopy'] }),
  ],
  autoselects: [
    {
      ownerId: 'u-bob',
      id: 'bobs-auto',
      config: autoselectConfigSchema.parse({
        fallback: 'rotation/global-claude',
        classify_semantic: false,
        available_models: [{ model_id: 'rotation/global-claude' }],
        aliases: ['claude-opus-4'],
      }),
    },
  ],
});

const routeOf = (user: SnapshotUser, name: string): string | null => {
  const r = resolveRoute(index, { user }, name);
  return r.ok ? r.value.route : null;
};

describe('route aliases', () => {
  it("match the caller's own routes first, exact before the longest prefix, then global ones", () => {
    expect(routeOf(alice, 'claude-sonnet-4-5-20250929')).toBe('user-rotation/mine');
    expect(routeOf(alice, 'claude-haiku-4-5')).toBe('rotation/global-claude');
    expect(routeOf(bob, 'claude-sonnet-4-5')).toBe('rotation/global-claude');
    expect(routeOf(bob, 'claude-opus-4')).toBe('user-autoselect/bobs-auto');
    expect(routeOf(alice, 'claude-opus-4')).toBe('rotation/global-claude');
    expect(routeOf(bob, 'gpt-5-codex')).toBe('rotation/global-claude');
    // Two of alice's routes claim it: the one whose name sorts first keeps it.
    expect(routeOf(alice, 'gpt-5-codex')).toBe('user-rotation/a-first');
    // `*` alone takes any name no route or other alias has, even one that is no valid route name.
    expect(routeOf(bob, 'Some Model!')).toBe('rotation/global-any');
  });

  it('never shadow a real route name, and a broken rotation lends its aliases to nobody', () => {
    expect(routeOf(alice, 'mine')).toBe('user-rotation/mine');
    expect(routeOf(alice, 'rotation/global-any')).toBe('rotation/global-any');
    expect(routeOf(alice, 'loopy')).toBe('rotation/global-any');
    expect(resolveRoute(index, { user: alice }, 'loop').ok).toBe(false);
  });

  it('are listed per route for GET /models, own before global', () => {
    expect(Object.fromEntries(listAliases(index, { user: alice }))).toEqual({
      'user-rotation/a-first': ['gpt-5-codex'],
      'user-rotation/mine': ['claude-sonnet-*'],
      'rotation/global-claude': ['claude-*'],
      'rotation/global-any': ['*'],
    });
  });

  it('are exact names or prefixes ending in *', () => {
    expect(routeAliasesSchema.safeParse(['gpt-5*', 'claude-3-5-sonnet', '*']).success).toBe(true);
    expect(routeAliasesSchema.safeParse(['a*b']).success).toBe(false);
    expect(routeAliasesSchema.safeParse(['two words']).success).toBe(false);
    expect(routeAliasesSchema.safeParse(['']).success).toBe(false);
  });
});
