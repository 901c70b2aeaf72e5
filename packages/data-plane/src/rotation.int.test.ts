import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RotationConfigInput } from '@aisbf/core';
import { parseSseText } from '@aisbf/testkit';
import { post, startHarness, type Harness } from './test-harness';

/** The seed's rotation (docs/examples/seed-rotations.json), over three mock providers, with test-sized knobs. */
const seedRotation = (
  extra: Partial<RotationConfigInput> = {},
  entry: Record<string, unknown> = {},
): RotationConfigInput => ({
  model_name: 'coding-production',
  providers: [
    { provider_id: 'coderai-local', model: 'qwen2.5-coder:32b', weight: 6, error_cooldown: 60, ...entry },
    { provider_id: 'runpod-gpu-a', model: 'deepseek-coder-v2', weight: 3, error_cooldown: 120 },
    { provider_id: 'openai-prod', model: 'gpt-4.1-mini', weight: 1, error_cooldown: 300 },
  ],
  privacy: true,
  capabilities: ['chat', 'coding', 'tool_use'],
  retry: { backoff_ms: 5 },
  ...extra,
});

const PROVIDERS = [
  { id: 'coderai-local', models: ['qwen2.5-coder:32b'] },
  { id: 'runpod-gpu-a', models: ['deepseek-coder-v2'] },
  { id: 'openai-prod', models: ['gpt-4.1-mini'] },
];

const chat = { messages: [{ role: 'user', content: 'refactor this' }] };
const count = (h: Harness, id: string): number =>
  h.mocks[id]!.requests.filter((r) => r.path.endsWith('/chat/completions')).length;

describe('seed rotation, priority strategy', () => {
  let h: Harness;
  let offset = 0;
  beforeAll(async () => {
    h = await startHarness({
      providers: PROVIDERS,
      rotations: [
        { id: 'coding-production', config: seedRotation() },
        { id: 'saturating', config: seedRotation({}, { max_concurrency: 1 }) },
        { id: 'fragile', config: seedRotation({ allowed_fails: 1, retry: { same_entry: 0 } }) },
        { id: 'notify', config: seedRotation({ allowed_fails: 1, retry: { same_entry: 0 }, notifyerrors: true }) },
        {
          id: 'pair',
          config: {
            providers: [
              { provider_id: 'coderai-local', model: 'qwen2.5-coder:32b', weight: 5 },
              { provider_id: 'runpod-gpu-a', model: 'deepseek-coder-v2', weight: 5 },
            ],
          },
        },
      ],
      deps: { clock: () => Date.now() + offset },
    });
  });
  afterEach(() => {
    for (const m of Object.values(h.mocks)) m.reset();
    offset += 10_000_000; // every test starts with all cooldowns long expired
  });
  afterAll(async () => h.close());

  const ask = (route: string) => post(`${h.v1}/chat/completions`, h.tokens.alice, { model: route, ...chat });

  it('the weight-6 entry serves everything while healthy', async () => {
    for (let i = 0; i < 12; i++) {
      const res = await ask('user-rotation/coding-production');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-aisbf-provider')).toBe('coderai-local');
      expect(res.headers.get('x-aisbf-failover')).toBeNull();
    }
    expect([count(h, 'coderai-local'), count(h, 'runpod-gpu-a'), count(h, 'openai-prod')]).toEqual([12, 0, 0]);
  });

  it('when it fails, weight-3 takes over with zero client-visible errors, and the failed entry is left alone during its cooldown', async () => {
    h.mocks['coderai-local']!.setDefault({ kind: 'status', status: 500 });
    for (let i = 0; i < 10; i++) {
      const res = await ask('coding-production');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-aisbf-provider')).toBe('runpod-gpu-a');
      expect(JSON.parse(res.text)).toMatchObject({ model: 'deepseek-coder-v2' });
      if (i < 3)
        expect([
          res.headers.get('x-aisbf-failover'),
          res.headers.get('x-aisbf-preferred-provider'),
          res.headers.get('x-aisbf-attempts'),
        ]).toEqual(['true', 'coderai-local', '3']);
    }
    // allowed_fails 3: three requests × (try + one same-entry retry), then nothing for 60 s.
    expect(count(h, 'coderai-local')).toBe(6);
    expect(count(h, 'runpod-gpu-a')).toBe(10);
    const event = h.events.at(-8)!;
    expect(event).toMatchObject({ provider: 'runpod-gpu-a', model: 'deepseek-coder-v2', outcome: 'ok' });
    expect(event.attempts.map((a) => [a.provider, a.outcome, a.status])).toEqual([
      ['coderai-local', 'error', 500],
      ['coderai-local', 'error', 500],
      ['runpod-gpu-a', 'ok', 200],
    ]);

    // After the cooldown one live request probes it; success closes it again.
    h.mocks['coderai-local']!.setDefault({ kind: 'ok' });
    offset += 61_000;
    const probe = await ask('coding-production');
    expect(probe.headers.get('x-aisbf-provider')).toBe('coderai-local');
    expect((await ask('coding-production')).headers.get('x-aisbf-provider')).toBe('coderai-local');
  });

  it('a 429 without Retry-After cools the entry at once', async () => {
    h.mocks['coderai-local']!.enqueue({ kind: 'rate-limit' });
    expect((await ask('coding-production')).headers.get('x-aisbf-provider')).toBe('runpod-gpu-a');
    expect((await ask('coding-production')).headers.get('x-aisbf-provider')).toBe('runpod-gpu-a');
    expect(count(h, 'coderai-local')).toBe(1);
  });

  it('saturation (max_concurrency reached) spills to the next tier', async () => {
    h.mocks['coderai-local']!.enqueue({ kind: 'delay', ms: 300 });
    const [a, b] = await Promise.all([
      ask('saturating'),
      new Promise((r) => setTimeout(r, 50)).then(() => ask('saturating')),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect([a.headers.get('x-aisbf-provider'), b.headers.get('x-aisbf-provider')]).toEqual([
      'coderai-local',
      'runpod-gpu-a',
    ]);
    expect((await ask('saturating')).headers.get('x-aisbf-provider')).toBe('coderai-local');
  });

  it('equal weights take turns', async () => {
    const served: string[] = [];
    for (let i = 0; i < 4; i++) served.push((await ask('pair')).headers.get('x-aisbf-provider')!);
    expect(new Set([served[0], served[1]])).toEqual(new Set(['coderai-local', 'runpod-gpu-a']));
    expect(served[2]).toBe(served[0]);
    expect(served[3]).toBe(served[1]);
  });

  it('all cooling: the earliest-recovering entry is tried once, then 503 naming the rotation with Retry-After', async () => {
    for (const id of ['coderai-local', 'runpod-gpu-a', 'openai-prod'])
      h.mocks[id]!.setDefault({ kind: 'status', status: 503 });
    const first = await ask('fragile');
    expect(first.status).toBe(502);
    expect([count(h, 'coderai-local'), count(h, 'runpod-gpu-a'), count(h, 'openai-prod')]).toEqual([1, 1, 1]);
    const second = await ask('fragile');
    expect(second.status).toBe(503);
    const body = JSON.parse(second.text) as { error: { message: string; code: string } };
    expect(body.error.message).toContain('user-rotation/fragile');
    expect(body.error.code).toBe('no_healthy_target');
    // coderai-local cools 60 s, the others 120 s and 300 s: it recovers first and was tried once.
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    expect([count(h, 'coderai-local'), count(h, 'runpod-gpu-a'), count(h, 'openai-prod')]).toEqual([2, 1, 1]);
    // Each request gets its one earliest-recovery try (docs/architecture.md "Data plane API"), never more: one attempt each.
    const third = await ask('fragile');
    expect(third.status).toBe(503);
    expect([count(h, 'coderai-local'), count(h, 'runpod-gpu-a'), count(h, 'openai-prod')]).toEqual([3, 1, 1]);
  });

  it('notifyerrors answers 200 with the failure as the assistant text', async () => {
    for (const id of ['coderai-local', 'runpod-gpu-a', 'openai-prod'])
      h.mocks[id]!.setDefault({ kind: 'status', status: 500 });
    const res = await ask('notify');
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]!.message.content).toContain('could not serve "notify"');
    expect(h.events.at(-1)).toMatchObject({ outcome: 'error', status: 200 });
    const streamed = await post(`${h.v1}/chat/completions`, h.tokens.alice, { model: 'notify', ...chat, stream: true });
    expect(streamed.status).toBe(200);
    const t = parseSseText(streamed.text);
    expect([t.done, t.errors.length]).toEqual([true, 0]);
    expect(t.text).toContain('could not serve "notify"');
  });
});

describe('seed rotation, weighted strategy', () => {
  let h: Harness;
  beforeAll(async () => {
    let seed = 7;
    // Seeded rng (mulberry32) so the split is reproducible.
    const random = (): number => {
      seed = (seed + 0x6d2b79f5) >>> 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    h = await startHarness({
      providers: PROVIDERS,
      rotations: [{ id: 'spread', config: seedRotation({ strategy: 'weighted' }) }],
      deps: { random },
    });
  });
  afterAll(async () => h.close());

  it('routes by weight through HTTP (the 1,000-pick split is in select-leaf.test.ts)', async () => {
    const served: Record<string, number> = {};
    for (let batch = 0; batch < 10; batch++) {
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          post(`${h.v1}/chat/completions`, h.tokens.alice, { model: 'spread', ...chat }),
        ),
      );
      for (const r of results) {
        expect(r.status).toBe(200);
        const p = r.headers.get('x-aisbf-provider')!;
        served[p] = (served[p] ?? 0) + 1;
      }
    }
    expect(served['coderai-local']!).toBeGreaterThan(served['runpod-gpu-a']!);
    expect(served['runpod-gpu-a']!).toBeGreaterThan(served['openai-prod']!);
    expect(served['openai-prod']!).toBeGreaterThan(0);
  });
});
