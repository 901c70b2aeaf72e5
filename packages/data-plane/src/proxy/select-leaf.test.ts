import { describe, expect, it } from 'vitest';
import {
  autoselectConfigSchema,
  emptySnapshot,
  indexSnapshot,
  resolveRoute,
  rotationConfigSchema,
  type Resolution,
  type RotationConfigInput,
  type SnapshotProvider,
} from '@aisbf/core';
import { createRoutingState } from './routing-state';
import { autoselectKey, selectLeaf, type SelectionContext } from './select-leaf';

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const provider = (id: string, model: string, extra: Partial<SnapshotProvider> = {}): SnapshotProvider => ({
  ownerId: 'u1',
  id,
  type: 'openai',
  endpoint: 'http://127.0.0.1:1/v1',
  apiKeyEnc: null,
  enabled: true,
  adminOnly: false,
  models: [{ name: model }],
  timeouts: {},
  ...extra,
});

function resolution(config: RotationConfigInput): Resolution {
  const index = indexSnapshot({
    ...emptySnapshot(),
    users: [{ id: 'u1', username: 'alice', role: 'user', disabled: false }],
    providers: [
      provider('a', 'ma'),
      provider('b', 'mb'),
      provider('c', 'mc', { models: [{ name: 'mc', contextWindow: 200_000, prefill: true }] }),
    ],
    rotations: [
      { ownerId: 'u1', id: 'r', config: rotationConfigSchema.parse(config) },
      {
        ownerId: 'u1',
        id: 'inner',
        config: rotationConfigSchema.parse({ providers: [{ provider_id: 'c', model: 'mc' }] }),
      },
    ],
    autoselects: [
      {
        ownerId: 'u1',
        id: 'pick',
        config: autoselectConfigSchema.parse({
          selection_model: 'user-provider/a/ma',
          fallback: 'user-provider/b/mb',
          available_models: [{ model_id: 'user-provider/b/mb', description: 'b' }],
        }),
      },
    ],
  });
  const r = resolveRoute(index, { user: index.usersByName.get('alice')! }, 'r');
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const entries = [
  { provider_id: 'a', model: 'ma', weight: 6, context_window: 8000 },
  { provider_id: 'b', model: 'mb', weight: 3 },
  { provider_id: 'c', model: 'mc', weight: 1 },
];

const ctx = (over: Partial<SelectionContext> = {}): SelectionContext => ({
  state: createRoutingState({ clock: () => 0 }),
  now: 0,
  random: seeded(1),
  excluded: new Set(),
  minContext: null,
  requirePrefill: false,
  usedEarliest: false,
  callerIsAdmin: false,
  ...over,
});

describe('selectLeaf over a real snapshot index', () => {
  it('weighted: 1,000 requests split 60/30/10 % (±5 %)', () => {
    const r = resolution({ providers: entries, strategy: 'weighted' });
    const c = ctx({ random: seeded(99) });
    const counts: Record<string, number> = {};
    for (let i = 0; i < 1000; i++) {
      const s = selectLeaf(r, c);
      if (s.ok && s.leaf !== null) counts[s.leaf.target.provider.id] = (counts[s.leaf.target.provider.id] ?? 0) + 1;
    }
    expect(Math.abs(counts['a']! / 1000 - 0.6)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(counts['b']! / 1000 - 0.3)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(counts['c']! / 1000 - 0.1)).toBeLessThanOrEqual(0.05);
  });

  it('context_length_exceeded: only larger or unknown windows', () => {
    const r = resolution({ providers: entries });
    const c = ctx({ excluded: new Set(['u1|a|ma']), minContext: 8000 });
    const s = selectLeaf(r, c);
    expect(s.ok && s.leaf?.target.provider.id).toBe('b');
    const bigger = ctx({ excluded: new Set(['u1|a|ma', 'u1|b|mb']), minContext: 300_000 });
    expect(selectLeaf(r, bigger)).toEqual({ ok: false, reason: 'none-usable', retryAt: null });
  });

  it('prefill continuation: only entries that accept a prefill and have not refused one', () => {
    const r = resolution({ providers: entries });
    const c = ctx({ requirePrefill: true });
    const s = selectLeaf(r, c);
    expect(s.ok && s.leaf?.target.provider.id).toBe('c');
    c.state.markRefusesPrefill('u1|c|mc');
    expect(selectLeaf(r, c).ok).toBe(false);
  });

  it('nested rotations pick inside the inner rotation when the outer entry wins', () => {
    const r = resolution({
      providers: [
        { route: 'user-rotation/inner', weight: 9 },
        { provider_id: 'a', model: 'ma', weight: 1 },
      ],
    });
    const s = selectLeaf(r, ctx());
    expect(s.ok && s.leaf?.target.key).toBe('u1|c|mc');
    const state = createRoutingState({ clock: () => 0 });
    state.apply('u1|c|mc', { type: 'open', cooldownMs: 1000 }, 0);
    const fallback = selectLeaf(r, ctx({ state }));
    expect(fallback.ok && fallback.leaf?.target.key).toBe('u1|a|ma');
  });

  it('an entry the health job judged unhealthy is skipped for one error_cooldown from the evidence, then probed once', () => {
    const r = resolution({ providers: entries.map((e) => ({ ...e, error_cooldown: 30 })) });
    const state = createRoutingState({ clock: () => 0 });
    // Model ma of provider a failed last at 10 s; provider b is fine, so is every other model.
    const health = {
      unhealthySince: (o: string | null, id: string, m: string) => (id === 'a' && m === 'ma' ? 10_000 : null),
    };
    const during = selectLeaf(r, ctx({ state, health, now: 39_999 }));
    expect(during.ok && during.leaf?.target.provider.id).toBe('b');
    // 30 s after its evidence: half-open, whatever the board still says.
    const after = selectLeaf(r, ctx({ state, health, now: 40_000 }));
    expect(after.ok && [after.leaf?.target.provider.id, after.leaf?.probe]).toEqual(['a', true]);
    state.apply('u1|a|ma', { type: 'probe-start' }, 40_000);
    const meanwhile = selectLeaf(r, ctx({ state, health, now: 40_001 }));
    expect(meanwhile.ok && meanwhile.leaf?.target.provider.id).toBe('b'); // one probe at a time
    state.apply('u1|a|ma', { type: 'success', startedAt: 40_000 }, 40_100);
    // The probe closed it: the same (stale) mark never skips it again.
    const healed = selectLeaf(r, ctx({ state, health, now: 40_200 }));
    expect(healed.ok && [healed.leaf?.target.provider.id, healed.leaf?.probe]).toEqual(['a', false]);
    // A mark whose cooldown already ran out by the time it is seen changes nothing.
    const fresh = createRoutingState({ clock: () => 0 });
    const late = selectLeaf(r, ctx({ state: fresh, health, now: 41_000 }));
    expect(late.ok && [late.leaf?.target.provider.id, late.leaf?.probe]).toEqual(['a', false]);
  });

  it('a half-open entry is picked as a probe, and a second request skips it while the probe runs', () => {
    const r = resolution({ providers: entries });
    const state = createRoutingState({ clock: () => 0 });
    state.apply('u1|a|ma', { type: 'open', cooldownMs: 1000 }, 0);
    const s = selectLeaf(r, ctx({ state, now: 1000 }));
    expect(s.ok && [s.leaf?.target.provider.id, s.leaf?.probe]).toEqual(['a', true]);
    state.apply('u1|a|ma', { type: 'probe-start' }, 1000);
    const next = selectLeaf(r, ctx({ state, now: 1001 }));
    expect(next.ok && next.leaf?.target.provider.id).toBe('b');
  });

  it('an autoselect entry is chosen like any entry, and skipped once excluded, while served further up, or in a continuation', () => {
    const r = resolution({
      providers: [
        { route: 'user-autoselect/pick', weight: 9 },
        { provider_id: 'a', model: 'ma', weight: 1 },
      ],
    });
    const s = selectLeaf(r, ctx());
    expect(s.ok && s.leaf === null && s.autoselect.route).toBe('user-autoselect/pick');
    const key = s.ok && s.leaf === null ? s.key : '';
    expect(key).toBe(autoselectKey(s.ok && s.leaf === null ? s.autoselect : (undefined as never)));
    for (const over of [{ excluded: new Set([key]) }, { expanding: new Set([key]) }, { requirePrefill: true }]) {
      const next = selectLeaf(r, ctx(over));
      expect(next.ok && next.leaf?.target.provider.id).toBe(over.requirePrefill === true ? false : 'a');
    }
  });
});
