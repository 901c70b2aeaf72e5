import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSnapshot } from '@aisbf/db';
import { createServicesFixture, type ServicesFixture } from '../test-support/services-fixture';
import type { Actor } from './actor';

/** What the dashboard's settings and limits editors rely on (docs/dashboard.md). */
describe('provider settings and limits, as the dashboard edits them', () => {
  let f: ServicesFixture;
  let alice: Actor;
  let bob: Actor;
  beforeAll(async () => {
    f = await createServicesFixture('sqlite::memory:');
    alice = await f.user('alice');
    bob = await f.user('bob');
  });
  afterAll(async () => {
    await f?.close();
  });

  it('a provider view carries its settings and header names, never header values', async () => {
    const view = await f.services.providers.upsert(alice, {
      input: {
        id: 'lan',
        type: 'openai',
        endpoint: 'http://127.0.0.1:9/v1',
        models: [{ name: 'm1', context_window: 8192, pricing: { prompt: 0.5, completion: 1.5 } }],
        timeout_connect_s: 2,
        max_concurrency: 4,
        headers: { 'X-Org': 'org-secret-value', 'X-Team': 'team-a' },
      },
    });
    expect(view.settings).toMatchObject({ timeout_connect_s: 2, max_concurrency: 4 });
    expect(view.headers).toEqual(['X-Org', 'X-Team']);
    expect(JSON.stringify(view)).not.toContain('org-secret-value');
    expect(view.models[0]).toMatchObject({
      name: 'm1',
      contextWindow: 8192,
      pricing: { prompt: 0.5, completion: 1.5 },
    });
    const [listed] = await f.services.providers.list(alice);
    expect(JSON.stringify(listed)).not.toContain('org-secret-value');
  });

  it('a header sent back as null keeps its stored value; a changed one is replaced; a left-out one removed', async () => {
    await f.services.providers.upsert(alice, {
      input: {
        id: 'lan',
        type: 'openai',
        endpoint: 'http://127.0.0.1:9/v1',
        timeout_connect_s: 3,
        headers: { 'X-Org': null, 'X-New': 'fresh' },
      },
    });
    const provider = (await loadSnapshot(f.handle.db)).providers.find((p) => p.id === 'lan');
    // Sealed in the snapshot like the key (docs/control-plane.md "Services"); the kept value is the stored one.
    expect(provider?.headers).toBeUndefined();
    const plain = Object.fromEntries(
      Object.entries(provider?.headersEnc ?? {}).map(([name, sealed]) => [name, f.secretBox.decrypt(sealed)]),
    );
    expect(plain).toEqual({ 'X-Org': 'org-secret-value', 'X-New': 'fresh' });
    expect(provider?.timeouts.timeout_connect_s).toBe(3);
    // A null for a header that was never stored has no value to keep: refused, with its path.
    await expect(
      f.services.providers.upsert(alice, {
        input: { id: 'lan', type: 'openai', endpoint: 'http://127.0.0.1:9/v1', headers: { 'X-Unknown': null } },
      }),
    ).rejects.toMatchObject({ issues: [expect.objectContaining({ path: 'headers.X-Unknown' })] });
  });

  it('user and token views carry their limits; a token owner sets and clears them, others cannot', async () => {
    await f.services.users.update(f.admin, { username: 'alice', limits: { requestsPerMinute: 30 } });
    expect((await f.services.users.list(f.admin)).find((u) => u.username === 'alice')?.limits).toEqual({
      requestsPerMinute: 30,
    });
    const token = await f.services.tokens.create(alice, { name: 'ci' });
    const set = await f.services.tokens.setLimits(alice, {
      id: token.id,
      limits: { tokensPerMinute: 5_000, costMicrosPerDay: 2_000_000 },
    });
    expect(set.limits).toEqual({ tokensPerMinute: 5_000, costMicrosPerDay: 2_000_000 });
    expect((await f.services.tokens.list(alice))[0]?.limits).toEqual(set.limits);
    expect((await loadSnapshot(f.handle.db)).tokens.find((t) => t.id === token.id)?.limits).toEqual(set.limits);
    await expect(
      f.services.tokens.setLimits(alice, { id: token.id, limits: { tokensPerMinut: 1 } }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(
      f.services.tokens.setLimits(alice, { id: token.id, limits: { requestsPerMinute: -1 } }),
    ).rejects.toMatchObject({ issues: [expect.objectContaining({ path: 'limits.requestsPerMinute' })] });
    await expect(f.services.tokens.setLimits(bob, { id: token.id, limits: null })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await f.services.tokens.setLimits(f.admin, { id: token.id, limits: null });
    expect((await f.services.tokens.list(alice))[0]?.limits).toBeNull();
  });
});
