import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageEvent } from '@aisbf/core';
import { insertUsageEvents, loadSnapshot } from '@aisbf/db';
import { createServicesFixture, type ServicesFixture } from '../test-support/services-fixture';
import type { Actor } from './actor';

/** docs/usage.md: limits set through the services and prices imported from AISBF documents reach the snapshot. */
describe('limits and prices reach the snapshot', () => {
  let f: ServicesFixture;
  let alice: Actor;
  beforeAll(async () => {
    f = await createServicesFixture('sqlite::memory:');
    alice = await f.user('alice');
  });
  afterAll(async () => {
    await f?.close();
  });

  it('admins set user limits; null clears them; unknown keys and non-admins are refused', async () => {
    await f.services.users.update(f.admin, {
      username: 'alice',
      limits: { requestsPerDay: 100, costMicrosPerMonth: 5_000_000 },
    });
    let snap = await loadSnapshot(f.handle.db);
    expect(snap.users.find((u) => u.username === 'alice')?.limits).toEqual({
      requestsPerDay: 100,
      costMicrosPerMonth: 5_000_000,
    });
    await expect(
      f.services.users.update(f.admin, { username: 'alice', limits: { requestPerDay: 1 } }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(
      f.services.users.update(f.admin, { username: 'alice', limits: { tokensPerDay: -1 } }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(f.services.users.update(alice, { username: 'alice', limits: null })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await f.services.users.update(f.admin, { username: 'alice', limits: null });
    snap = await loadSnapshot(f.handle.db);
    expect(snap.users.find((u) => u.username === 'alice')?.limits).toBeUndefined();
  });

  it('a token is created with its own limits', async () => {
    const created = await f.services.tokens.create(alice, { name: 'ci', limits: { tokensPerDay: 10_000 } });
    const snap = await loadSnapshot(f.handle.db);
    expect(snap.tokens.find((t) => t.id === created.id)?.limits).toEqual({ tokensPerDay: 10_000 });
  });

  it("AISBF pricing fields in an imported providers document reach the snapshot's models", async () => {
    const document = {
      providers: {
        priced: {
          endpoint: 'http://127.0.0.1:9/v1',
          type: 'openai',
          models: [{ name: 'm1', pricing: { prompt: 0.5, completion: 1.5, cached_prompt: 0.1 } }, 'free-text'],
        },
      },
    };
    await f.services.config.import(f.admin, { owner: 'alice', kind: 'providers', document });
    const snap = await loadSnapshot(f.handle.db);
    const models = snap.providers.find((p) => p.id === 'priced')?.models;
    expect(models?.find((m) => m.name === 'm1')?.pricing).toEqual({ prompt: 0.5, completion: 1.5, cached_prompt: 0.1 });
    expect(models?.find((m) => m.name === 'free-text')?.pricing).toBeUndefined();
  });

  it('prices are editable through the provider upsert (GraphQL ProviderInput.settings.models)', async () => {
    await f.services.providers.upsert(alice, {
      input: {
        id: 'edited',
        type: 'openai',
        endpoint: 'http://127.0.0.1:9/v1',
        models: [{ name: 'm1', pricing: { prompt: 2, completion: 4 } }],
      },
    });
    let snap = await loadSnapshot(f.handle.db);
    expect(snap.providers.find((p) => p.id === 'edited')?.models[0]?.pricing).toEqual({ prompt: 2, completion: 4 });
    await f.services.providers.upsert(alice, {
      input: {
        id: 'edited',
        type: 'openai',
        endpoint: 'http://127.0.0.1:9/v1',
        models: [{ name: 'm1', pricing: { prompt: 3, completion: 4 } }],
      },
    });
    snap = await loadSnapshot(f.handle.db);
    expect(snap.providers.find((p) => p.id === 'edited')?.models[0]?.pricing).toEqual({ prompt: 3, completion: 4 });
  });

  it('usage sums cost and shows unpriced served requests as such, per model too', async () => {
    const now = Date.now();
    const event = (
      id: string,
      model: string | null,
      costMicros: number | null,
      outcome: UsageEvent['outcome'] = 'ok',
    ): UsageEvent => ({
      id: `limits-test-${id}`,
      requestId: id,
      at: now - 1000,
      userId: alice.userId,
      tokenId: null,
      route: 'r',
      provider: model === null ? null : 'p',
      providerOwnerId: null,
      model,
      endpoint: 'chat.completions',
      stream: false,
      status: outcome === 'ok' ? 200 : 502,
      outcome,
      promptTokens: 10,
      completionTokens: 5,
      estimated: false,
      latencyMs: 1,
      ttfbMs: 1,
      attempts: [],
      costMicros,
    });
    await insertUsageEvents(f.handle.db, [
      event('a', 'priced', 100),
      event('b', 'priced', 250),
      event('c', 'free', null),
      event('d', null, 0, 'error'),
    ]);
    const report = await f.services.usage.query(alice, { groupBy: 'model' });
    expect(report.totals).toMatchObject({ requests: 4, costMicros: 350, unpricedRequests: 1, promptTokens: 40 });
    const byModel = Object.fromEntries(report.groups.map((g) => [g.key, [g.costMicros, g.unpricedRequests]]));
    expect(byModel).toEqual({ priced: [350, 0], free: [null, 1], '(none)': [0, 0] });
  });
});
