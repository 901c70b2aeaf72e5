import {
  createDatabase,
  findProvider,
  insertUsageEvents,
  insertUser,
  listProviderHealth,
  migrateToLatest,
  setProviderHealth,
  upsertProvider,
  upsertAutoselect,
  upsertRotation,
  type DatabaseHandle,
} from '@aisbf/db';
import { createSecretBox, generateSecretKey } from '@aisbf/secrets';
import { createTestMysqlDatabase, startMockUpstream, type MockUpstream } from '@aisbf/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHealth } from './health-check.processor';
import { makeUsageEvent } from './test-support/usage-events';

/**
 * docs/jobs.md "Only what is used": the periodic health run looks after the providers recent
 * traffic touched (and those of the rotations it called), never every provider of every sign-up.
 */
const box = createSecretBox(generateSecretKey());
const NOW = 2_000_000_000_000;
const IDLE_USERS = 40;

const backends = [
  { name: 'SQLite', open: async () => createDatabase('sqlite::memory:') },
  { name: 'MariaDB', open: async () => createDatabase(await createTestMysqlDatabase('health_active')) },
];

describe.each(backends)('health job on $name: only providers in use', ({ open }) => {
  let handle: DatabaseHandle;
  let ownerId: string;
  const mocks: Record<'tried' | 'served' | 'standby' | 'idle', MockUpstream> = {} as never;

  const addProvider = (owner: string, id: string, mock: MockUpstream) =>
    upsertProvider(
      handle.db,
      {
        ownerId: owner,
        id,
        type: 'openai',
        endpoint: mock.url,
        apiKeyEnc: box.encrypt('sk-key'),
        apiKeyHint: null,
        enabled: true,
        adminOnly: false,
        settings: {},
        models: [{ name: 'm1' }],
      },
      0,
    );

  beforeAll(async () => {
    handle = await open();
    await migrateToLatest(handle.db);
    for (const name of ['tried', 'served', 'standby', 'idle'] as const)
      mocks[name] = await startMockUpstream({ models: ['m1'], apiKey: 'sk-key' });
    // Many signed-up users whose providers never served anything.
    for (let i = 0; i < IDLE_USERS; i++) {
      const user = await insertUser(handle.db, { username: `idle${i}`, passwordHash: null, role: 'user', now: 0 });
      await addProvider(user.id, 'a', mocks.idle);
      await addProvider(user.id, 'b', mocks.idle);
    }
    ownerId = (await insertUser(handle.db, { username: 'busy', passwordHash: null, role: 'user', now: 0 })).id;
    for (const name of ['tried', 'served', 'standby'] as const) await addProvider(ownerId, name, mocks[name]);
    await upsertRotation(
      handle.db,
      {
        ownerId,
        id: 'r',
        config: {
          providers: [
            { provider_id: 'tried', model: 'm1', weight: 3 },
            { provider_id: 'served', model: 'm1', weight: 2 },
            { provider_id: 'standby', model: 'm1', weight: 1 },
          ],
        },
      },
      0,
    );
    // An idle provider that still carries an old verdict.
    const marked = await addProvider(ownerId, 'marked', mocks.idle);
    await setProviderHealth(handle.db, marked.provider.rowId, { status: 'unhealthy', checkedAt: NOW - 3_600_000 });
    // One request through the rotation: the first entry failed, the second served.
    await insertUsageEvents(handle.db, [
      makeUsageEvent('busy', 1, NOW - 1_000, {
        userId: ownerId,
        route: 'user-rotation/r',
        provider: 'served',
        providerOwnerId: ownerId,
        attempts: [
          { provider: 'tried', model: 'm1', status: 502, outcome: 'error', latencyMs: 5 },
          { provider: 'served', model: 'm1', status: 200, outcome: 'ok', latencyMs: 5 },
        ],
      }),
    ]);
  });
  afterAll(async () => {
    for (const mock of Object.values(mocks)) await mock.close();
    await handle.close();
  });

  const run = (policy: Record<string, number> = {}, at = NOW) =>
    checkHealth({ db: handle.db, secretBox: box, now: () => at, policy: { probeTimeoutMs: 2_000, ...policy } }, {});
  const modelsCalls = (mock: MockUpstream) => mock.requests.filter((r) => r.path === '/v1/models').length;
  const resetMocks = () => Object.values(mocks).forEach((m) => m.reset());

  it('probes the tried, served and standby entries of the rotation used, never the idle users’ providers', async () => {
    const result = await run();
    expect(result.checked.map((c) => [c.providerId, c.source, c.status]).sort()).toEqual([
      ['marked', 'idle', 'unknown'],
      ['served', 'probe', 'healthy'],
      ['standby', 'probe', 'healthy'],
      ['tried', 'probe', 'healthy'],
    ]);
    expect(result.deferred).toBe(0);
    // What periodic discovery follows: the providers in use, not the idle one whose mark was lifted.
    expect(result.inUse.map((p) => p.id).sort()).toEqual(['served', 'standby', 'tried']);
    expect([modelsCalls(mocks.tried), modelsCalls(mocks.served), modelsCalls(mocks.standby)]).toEqual([1, 1, 1]);
    // 80 idle providers plus the marked one: not a single request.
    expect(mocks.idle.requests).toHaveLength(0);
    const marked = (await findProvider(handle.db, ownerId, 'marked'))!;
    expect((await listProviderHealth(handle.db, [marked.rowId])).get(marked.rowId)?.status).toBe('unknown');
    // Its mark lifted, the idle provider leaves the run's list.
    resetMocks();
    expect((await run()).checked.map((c) => c.providerId).sort()).toEqual(['served', 'standby', 'tried']);
  });

  it('bounds the probes per run; the longest unchecked go first and the rest wait for the next run', async () => {
    resetMocks();
    const first = await run({ maxProbesPerRun: 2 }, NOW + 10);
    expect(first.deferred).toBe(1);
    expect(first.checked).toHaveLength(2);
    const probedFirst = first.checked.map((c) => c.providerId);
    const second = await run({ maxProbesPerRun: 1 }, NOW + 20);
    expect(second.deferred).toBe(2);
    // The one left out last time is now the longest unchecked.
    const left = ['served', 'standby', 'tried'].filter((id) => !probedFirst.includes(id));
    expect(second.checked.map((c) => c.providerId)).toEqual(left);
    expect(mocks.idle.requests).toHaveLength(0);
  });
  it('follows an autoselect called to the rotations and providers it may pick', async () => {
    const picker = (await insertUser(handle.db, { username: 'picker', passwordHash: null, role: 'user', now: 0 })).id;
    for (const id of ['chosen', 'spare', 'direct', 'fallback']) await addProvider(picker, id, mocks.standby);
    await upsertRotation(
      handle.db,
      {
        ownerId: picker,
        id: 'pair',
        config: {
          providers: [
            { provider_id: 'chosen', model: 'm1', weight: 1 },
            { provider_id: 'spare', model: 'm1', weight: 1 },
          ],
        },
      },
      0,
    );
    await upsertAutoselect(
      handle.db,
      {
        ownerId: picker,
        id: 'auto',
        config: {
          fallback: 'user-provider/fallback/m1',
          available_models: [
            { model_id: 'user-rotation/pair', description: 'the pair' },
            { model_id: 'user-provider/direct/m1', description: 'one model' },
          ],
        },
      },
      0,
    );
    await insertUsageEvents(handle.db, [
      makeUsageEvent('picker', 1, NOW + 30_000, {
        userId: picker,
        route: 'user-autoselect/auto',
        provider: 'chosen',
        providerOwnerId: picker,
        attempts: [{ provider: 'chosen', model: 'm1', status: 200, outcome: 'ok', latencyMs: 5 }],
      }),
    ]);
    const result = await run({}, NOW + 31_000);
    const picked = result.inUse.filter((p) => p.ownerId === picker).map((p) => p.id);
    expect(picked.sort()).toEqual(['chosen', 'direct', 'fallback', 'spare']);
    expect(mocks.idle.requests).toHaveLength(0);
  });
});
