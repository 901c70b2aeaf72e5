import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSecretBox,
  generateApiToken,
  generateSecretKey,
  hashApiToken,
  secretHint,
  tokenHint,
} from '@aisbf/secrets';
import { partitionSnapshot, SEALED_HEADERS_SETTING, type UsageEvent } from '@aisbf/core';
import { createTestMysqlDatabase } from '@aisbf/testkit';
import {
  createDatabase,
  deleteProvider,
  deleteRotation,
  deleteUser,
  findApiTokenByHash,
  findAutoselect,
  findProvider,
  findRotation,
  findUserByUsername,
  getConfigVersion,
  insertApiToken,
  insertUsageEvents,
  insertUser,
  listApiTokens,
  listProviderHealth,
  listProviders,
  listRotations,
  listUsers,
  loadGlobalPart,
  loadSnapshot,
  loadUserPart,
  loadUserParts,
  configChangesSince,
  CONFIG_CHANGES_KEPT,
  listProvidersWithPlainHeaders,
  migrateToLatest,
  queryUsage,
  revokeApiToken,
  setProviderHealth,
  touchApiToken,
  updateUser,
  upsertAutoselect,
  upsertProvider,
  upsertRotation,
  withConfigChange,
  type DatabaseHandle,
} from './index';

const SEED_ROTATION = {
  model_name: 'coding-production',
  providers: [
    { provider_id: 'coderai-local', model: 'qwen2.5-coder:32b', weight: 6, error_cooldown: 60 },
    { provider_id: 'runpod-gpu-a', model: 'deepseek-coder-v2', weight: 3, error_cooldown: 120 },
  ],
  privacy: true,
  capabilities: ['chat', 'coding', 'tool_use'],
};

const SEED_AUTOSELECT = {
  model_name: 'engineering',
  selection_model: 'general',
  fallback: 'user-rotation/coding-production',
  classify_privacy: true,
  classify_semantic: true,
  available_models: [{ model_id: 'user-rotation/coding-production', description: 'Private code.', privacy: true }],
};

let seq = 0;
const unique = (base: string): string => `${base}-${++seq}`;

function usageEvent(id: string, overrides: Partial<UsageEvent> = {}): UsageEvent {
  return {
    id,
    requestId: `req-${id}`,
    at: 1_700_000_000_000,
    userId: 'u1',
    tokenId: 't1',
    route: 'user-rotation/coding-production',
    provider: 'coderai-local',
    providerOwnerId: 'u1',
    model: 'qwen2.5-coder:32b',
    endpoint: 'chat.completions',
    stream: true,
    status: 200,
    outcome: 'ok',
    promptTokens: 10,
    completionTokens: 5,
    estimated: false,
    latencyMs: 120.4,
    ttfbMs: 30,
    attempts: [{ provider: 'coderai-local', model: 'qwen2.5-coder:32b', status: 200, outcome: 'ok', latencyMs: 120 }],
    autoselectReason: null,
    costMicros: 42,
    ...overrides,
  };
}

const dialects: Array<[string, () => Promise<string>]> = [
  ['sqlite', async () => 'sqlite::memory:'],
  ['mysql', () => createTestMysqlDatabase('db')],
];

describe.each(dialects)('db on %s', (_name, makeUrl) => {
  let handle: DatabaseHandle;
  const now = 1_700_000_000_000;

  beforeAll(async () => {
    handle = createDatabase(await makeUrl());
    await migrateToLatest(handle.db);
  });
  afterAll(async () => {
    await handle?.close();
  });

  it('migrates forward once and is a no-op the second time', async () => {
    await expect(migrateToLatest(handle.db)).resolves.toEqual({ applied: [] });
    expect(await getConfigVersion(handle.db)).toEqual({ version: 0, updatedAt: 0 });
  });

  it('stores users with a unique username, updates and lists them', async () => {
    const name = unique('alice');
    const user = await insertUser(handle.db, {
      username: name,
      passwordHash: 'scrypt$x',
      role: 'user',
      limits: { requestsPerMinute: 5 },
      now,
    });
    await expect(insertUser(handle.db, { username: name, passwordHash: null, role: 'user', now })).rejects.toThrow();
    expect(await updateUser(handle.db, user.id, { disabled: true, role: 'admin' }, now + 1)).toBe(true);
    const found = await findUserByUsername(handle.db, name);
    expect(found).toMatchObject({
      id: user.id,
      role: 'admin',
      disabled: true,
      limits: { requestsPerMinute: 5 },
      passwordHash: 'scrypt$x',
      createdAt: now,
    });
    expect((await listUsers(handle.db)).map((u) => u.username)).toContain(name);
  });

  it('stores tokens by hash, finds, touches and revokes them', async () => {
    const user = await insertUser(handle.db, { username: unique('tok'), passwordHash: null, role: 'user', now });
    const plaintext = generateApiToken();
    await expect(
      insertApiToken(handle.db, { userId: user.id, name: 'bad', hash: plaintext, hint: 'x', expiresAt: null, now }),
    ).rejects.toThrow(/hash/);
    const token = await insertApiToken(handle.db, {
      userId: user.id,
      name: 'ci',
      hash: hashApiToken(plaintext),
      hint: tokenHint(plaintext),
      expiresAt: now + 1000,
      now,
    });
    expect(await findApiTokenByHash(handle.db, hashApiToken(plaintext))).toMatchObject({
      id: token.id,
      userId: user.id,
      expiresAt: now + 1000,
      revokedAt: null,
    });
    await touchApiToken(handle.db, token.id, now + 5);
    expect(await revokeApiToken(handle.db, token.id, now + 10)).toBe(true);
    expect(await revokeApiToken(handle.db, token.id, now + 11)).toBe(false);
    const [listed] = await listApiTokens(handle.db, user.id);
    expect(listed).toMatchObject({ lastUsedAt: now + 5, revokedAt: now + 10 });
  });

  it('keeps global and user providers of the same id apart, keeps the key on update, replaces models and health', async () => {
    const user = await insertUser(handle.db, { username: unique('prov'), passwordHash: null, role: 'user', now });
    const box = createSecretBox(generateSecretKey());
    const id = unique('coderai');
    const base = {
      id,
      type: 'openai',
      endpoint: 'http://broker:8080/v1',
      enabled: true,
      adminOnly: false,
      settings: { timeout_headers_s: 5, max_concurrency: 4 },
    };
    const global = await upsertProvider(handle.db, { ...base, ownerId: null, models: [{ name: 'm1' }] }, now);
    const own = await upsertProvider(
      handle.db,
      {
        ...base,
        ownerId: user.id,
        apiKeyEnc: box.encrypt('sk-abc-123456'),
        apiKeyHint: secretHint('sk-abc-123456'),
        models: [
          { name: 'b', contextWindow: 8192, pricing: { prompt: 1 } },
          { name: 'a', prefill: true },
        ],
      },
      now,
    );
    expect(global.created && own.created).toBe(true);
    expect(own.provider.models.map((m) => m.name)).toEqual(['b', 'a']);
    expect(own.provider.models[0]).toMatchObject({ contextWindow: 8192, pricing: { prompt: 1 }, source: 'config' });

    const updated = await upsertProvider(
      handle.db,
      { ...base, ownerId: user.id, endpoint: 'http://broker:9090/v1', enabled: false },
      now + 1,
    );
    expect(updated.created).toBe(false);
    expect(updated.provider).toMatchObject({
      endpoint: 'http://broker:9090/v1',
      enabled: false,
      apiKeyHint: 'sk-…3456',
    });
    expect(box.decrypt(updated.provider.apiKeyEnc ?? '')).toBe('sk-abc-123456');
    expect(updated.provider.models.map((m) => m.name)).toEqual(['b', 'a']);
    await expect(upsertProvider(handle.db, { ...base, ownerId: null, apiKeyEnc: 'sk-plain' }, now)).rejects.toThrow(
      /sealed/,
    );

    await setProviderHealth(handle.db, own.provider.rowId, { status: 'unhealthy', checkedAt: now, error: '503' });
    await setProviderHealth(handle.db, own.provider.rowId, { status: 'healthy', checkedAt: now + 2, latencyMs: 12 });
    expect((await listProviderHealth(handle.db, [own.provider.rowId])).get(own.provider.rowId)).toEqual({
      status: 'healthy',
      checkedAt: now + 2,
      error: null,
      latencyMs: 12,
    });

    expect((await listProviders(handle.db, user.id)).map((p) => p.id)).toEqual([id]);
    expect(await deleteProvider(handle.db, user.id, id)).toBe(true);
    expect(await findProvider(handle.db, user.id, id)).toBeUndefined();
    expect(await findProvider(handle.db, null, id)).toBeDefined();
    const orphans = await handle.db
      .selectFrom('provider_models')
      .select('name')
      .where('provider_id', '=', own.provider.rowId)
      .execute();
    expect(orphans).toEqual([]);
  });

  it('stores rotation and autoselect configs verbatim per owner', async () => {
    const user = await insertUser(handle.db, { username: unique('rot'), passwordHash: null, role: 'user', now });
    const created = await upsertRotation(
      handle.db,
      { ownerId: user.id, id: 'coding-production', config: SEED_ROTATION },
      now,
    );
    expect(created.created).toBe(true);
    await upsertRotation(
      handle.db,
      { ownerId: null, id: 'coding-production', config: { providers: [{ provider_id: 'x', model: 'y' }] } },
      now,
    );
    const again = await upsertRotation(
      handle.db,
      { ownerId: user.id, id: 'coding-production', config: { ...SEED_ROTATION, privacy: false } },
      now + 1,
    );
    expect(again.created).toBe(false);
    const found = await findRotation(handle.db, user.id, 'coding-production');
    expect(JSON.stringify(found?.config)).toBe(JSON.stringify({ ...SEED_ROTATION, privacy: false }));
    expect((await listRotations(handle.db, user.id)).length).toBe(1);
    await upsertAutoselect(handle.db, { ownerId: user.id, id: 'engineering', config: SEED_AUTOSELECT }, now);
    expect(JSON.stringify((await findAutoselect(handle.db, user.id, 'engineering'))?.config)).toBe(
      JSON.stringify(SEED_AUTOSELECT),
    );
    expect(await deleteRotation(handle.db, user.id, 'coding-production')).toBe(true);
    expect(await deleteRotation(handle.db, user.id, 'coding-production')).toBe(false);
    expect(await findRotation(handle.db, null, 'coding-production')).toBeDefined();
  });

  it('bumps the config version once per committed change', async () => {
    const before = (await getConfigVersion(handle.db)).version;
    const first = await withConfigChange(
      handle.db,
      (trx) => insertUser(trx, { username: unique('v'), passwordHash: null, role: 'user', now }),
      { now: now + 100 },
    );
    const second = await withConfigChange(handle.db, async () => 'ok');
    expect(first.version).toBe(before + 1);
    expect(second).toEqual({ value: 'ok', version: before + 2 });
  });

  it('gives concurrent config changes distinct, consecutive versions', async () => {
    const before = (await getConfigVersion(handle.db)).version;
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        withConfigChange(handle.db, (trx) =>
          insertUser(trx, { username: unique(`conc${i}`), passwordHash: null, role: 'user', now }),
        ),
      ),
    );
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6].map((n) => before + n));
  });

  it('rolls back every write and the version bump when a write in the change fails', async () => {
    const before = await getConfigVersion(handle.db);
    const taken = unique('taken');
    await insertUser(handle.db, { username: taken, passwordHash: null, role: 'user', now });
    const fresh = unique('fresh');
    await expect(
      withConfigChange(handle.db, async (trx) => {
        const user = await insertUser(trx, { username: fresh, passwordHash: null, role: 'user', now });
        await upsertRotation(trx, { ownerId: user.id, id: 'r1', config: SEED_ROTATION }, now);
        await insertUser(trx, { username: taken, passwordHash: null, role: 'user', now }); // unique violation
      }),
    ).rejects.toThrow();
    expect(await findUserByUsername(handle.db, fresh)).toBeUndefined();
    const orphanRotations = await handle.db.selectFrom('rotations').select('id').where('slug', '=', 'r1').execute();
    expect(orphanRotations).toEqual([]);
    expect((await getConfigVersion(handle.db)).version).toBe(before.version);
  });

  it('cascades a user delete to their tokens, providers and routes', async () => {
    const user = await insertUser(handle.db, { username: unique('gone'), passwordHash: null, role: 'user', now });
    await insertApiToken(handle.db, {
      userId: user.id,
      name: 't',
      hash: hashApiToken(generateApiToken()),
      hint: 'h',
      expiresAt: null,
      now,
    });
    await upsertProvider(
      handle.db,
      {
        ownerId: user.id,
        id: 'p',
        type: 'openai',
        endpoint: 'http://x/v1',
        enabled: true,
        adminOnly: false,
        settings: {},
        models: [{ name: 'm' }],
      },
      now,
    );
    await upsertRotation(handle.db, { ownerId: user.id, id: 'r', config: SEED_ROTATION }, now);
    expect(await deleteUser(handle.db, user.id)).toBe(true);
    expect(await listApiTokens(handle.db, user.id)).toEqual([]);
    expect(await listProviders(handle.db, user.id)).toEqual([]);
    expect(await listRotations(handle.db, user.id)).toEqual([]);
  });

  it('loads a snapshot without disabled users, revoked tokens or unparsable routes', async () => {
    const box = createSecretBox(generateSecretKey());
    const active = await insertUser(handle.db, { username: unique('snap'), passwordHash: null, role: 'user', now });
    const disabled = await insertUser(handle.db, {
      username: unique('snapoff'),
      passwordHash: null,
      role: 'user',
      now,
    });
    await updateUser(handle.db, disabled.id, { disabled: true }, now);
    const live = await insertApiToken(handle.db, {
      userId: active.id,
      name: 'live',
      hash: hashApiToken(generateApiToken()),
      hint: 'h',
      expiresAt: null,
      now,
    });
    const revoked = await insertApiToken(handle.db, {
      userId: active.id,
      name: 'old',
      hash: hashApiToken(generateApiToken()),
      hint: 'h',
      expiresAt: null,
      now,
    });
    await revokeApiToken(handle.db, revoked.id, now);
    const offToken = await insertApiToken(handle.db, {
      userId: disabled.id,
      name: 'x',
      hash: hashApiToken(generateApiToken()),
      hint: 'h',
      expiresAt: null,
      now,
    });
    const sealed = box.encrypt('sk-snapshot-key');
    await upsertProvider(
      handle.db,
      {
        ownerId: active.id,
        id: 'snap-p',
        type: 'openai',
        endpoint: 'http://x/v1',
        apiKeyEnc: sealed,
        apiKeyHint: 'sk-…',
        enabled: true,
        adminOnly: false,
        settings: { timeout_idle_s: 7, max_concurrency: 2, headers: { 'x-a': 'b' } },
        models: [{ name: 'm', contextWindow: 4096 }],
      },
      now,
    );
    await upsertRotation(handle.db, { ownerId: active.id, id: 'snap-r', config: SEED_ROTATION }, now);
    await upsertRotation(handle.db, { ownerId: active.id, id: 'snap-bad', config: { providers: [] } }, now);
    const invalid: string[] = [];
    const { version } = await withConfigChange(handle.db, async () => undefined, { now: now + 5 });
    const snapshot = await loadSnapshot(handle.db, { onInvalid: (_k, _o, id) => invalid.push(id) });
    expect(snapshot.version).toBe(version);
    expect(snapshot.createdAt).toBe(now + 5);
    expect(snapshot.users.map((u) => u.id)).toContain(active.id);
    expect(snapshot.users.map((u) => u.id)).not.toContain(disabled.id);
    const tokenIds = snapshot.tokens.map((t) => t.id);
    expect(tokenIds).toContain(live.id);
    expect(tokenIds).not.toContain(revoked.id);
    expect(tokenIds).not.toContain(offToken.id);
    const provider = snapshot.providers.find((p) => p.ownerId === active.id && p.id === 'snap-p');
    expect(provider).toEqual({
      ownerId: active.id,
      id: 'snap-p',
      type: 'openai',
      endpoint: 'http://x/v1',
      apiKeyEnc: sealed,
      enabled: true,
      adminOnly: false,
      models: [{ name: 'm', contextWindow: 4096 }],
      timeouts: { timeout_idle_s: 7 },
      maxConcurrency: 2,
      headers: { 'x-a': 'b' },
    });
    const rotation = snapshot.rotations.find((r) => r.ownerId === active.id && r.id === 'snap-r');
    expect(rotation?.config).toMatchObject({ strategy: 'priority', allowed_fails: 3, privacy: true });
    expect(invalid).toContain('snap-bad');
  });

  it('loads one user part and the global part by owner, each equal to its slice of the whole snapshot', async () => {
    const user = await insertUser(handle.db, { username: unique('part'), passwordHash: null, role: 'user', now });
    const token = await insertApiToken(handle.db, {
      userId: user.id,
      name: 'live',
      hash: hashApiToken(generateApiToken()),
      hint: 'h',
      expiresAt: null,
      now,
    });
    const revoked = await insertApiToken(handle.db, {
      userId: user.id,
      name: 'old',
      hash: hashApiToken(generateApiToken()),
      hint: 'h',
      expiresAt: null,
      now,
    });
    await revokeApiToken(handle.db, revoked.id, now);
    await upsertRotation(handle.db, { ownerId: user.id, id: 'part-r', config: SEED_ROTATION }, now);
    await upsertRotation(handle.db, { ownerId: null, id: 'part-global-r', config: SEED_ROTATION }, now);
    const { version } = await withConfigChange(handle.db, async () => undefined, { now: now + 9 });
    const read = await loadUserPart(handle.db, user.id);
    expect(read.version).toBe(version);
    expect(read.createdAt).toBe(now + 9);
    expect(read.part?.user).toEqual({ id: user.id, username: user.username, role: 'user', disabled: false });
    expect(read.part?.tokens.map((t) => t.id)).toEqual([token.id]);
    expect(read.part?.rotations.map((r) => r.id)).toEqual(['part-r']);
    const whole = partitionSnapshot(await loadSnapshot(handle.db));
    expect(read.part).toEqual(whole.users.find((u) => u.user.id === user.id));
    const global = await loadGlobalPart(handle.db);
    expect(global).toEqual(whole.global);
    expect(global.rotations.map((r) => r.id)).toContain('part-global-r');
    expect(global.rotations.every((r) => r.ownerId === null)).toBe(true);
    // Disabled or unknown: no part (the data plane holds nothing of them).
    await updateUser(handle.db, user.id, { disabled: true }, now);
    expect((await loadUserPart(handle.db, user.id)).part).toBeNull();
    expect((await loadUserPart(handle.db, 'no-such-user')).part).toBeNull();
  });

  it('reads pages of user parts by id, each part equal to the one read alone', async () => {
    const made = [];
    for (let i = 0; i < 3; i++) {
      const user = await insertUser(handle.db, { username: unique('page'), passwordHash: null, role: 'user', now });
      await insertApiToken(handle.db, {
        userId: user.id,
        name: 'live',
        hash: hashApiToken(generateApiToken()),
        hint: 'h',
        expiresAt: null,
        now,
      });
      await upsertRotation(handle.db, { ownerId: user.id, id: 'page-r', config: SEED_ROTATION }, now);
      made.push(user);
    }
    await updateUser(handle.db, made[1]!.id, { disabled: true }, now);
    const all: Array<{ userId: string; part: unknown }> = [];
    let pages = 0;
    for (let after: string | null = ''; after !== null; pages++) {
      const page = await loadUserParts(handle.db, { after, limit: 2 });
      all.push(...page.parts);
      after = page.next;
    }
    const ids = (await handle.db.selectFrom('users').select('id').orderBy('id').execute()).map((r) => r.id);
    expect(all.map((p) => p.userId)).toEqual(ids);
    expect(pages).toBe(Math.floor(ids.length / 2) + 1);
    for (const { userId, part } of all) expect(part).toEqual((await loadUserPart(handle.db, userId)).part);
    const byIds = await loadUserParts(handle.db, { ids: [made[2]!.id, made[1]!.id, 'no-such-user'] });
    expect(byIds.parts).toEqual([
      { userId: made[2]!.id, part: (await loadUserPart(handle.db, made[2]!.id)).part },
      { userId: made[1]!.id, part: null },
      { userId: 'no-such-user', part: null },
    ]);
    expect(byIds.next).toBeNull();
  });

  it('records whose part each commit touched, so a boot knows what changed since a version', async () => {
    const start = (await getConfigVersion(handle.db)).version;
    const user = await withConfigChange(
      handle.db,
      (trx) => insertUser(trx, { username: unique('owner'), passwordHash: null, role: 'user', now }),
      { ownersOf: (u) => [u.id, u.id] },
    );
    await withConfigChange(handle.db, async () => 'global', { ownersOf: () => [null] });
    expect((await configChangesSince(handle.db, start)).owners?.sort()).toEqual([user.value.id, null].sort());
    expect(await configChangesSince(handle.db, start + 2)).toMatchObject({ version: start + 2, owners: [] });
    // Ahead of the database, or too old for the rows kept: unknown, every part is re-stored.
    expect((await configChangesSince(handle.db, start + 3)).owners).toBeNull();
    expect((await configChangesSince(handle.db, start + 2 - CONFIG_CHANGES_KEPT - 1)).owners).toBeNull();
    // A commit that names no owner (or no `ownersOf` at all) makes what changed unknown.
    await withConfigChange(handle.db, async () => undefined);
    expect((await configChangesSince(handle.db, start + 2)).owners).toBeNull();
    expect((await configChangesSince(handle.db, start + 3)).owners).toEqual([]);
    await withConfigChange(handle.db, async () => undefined, { ownersOf: () => [undefined] });
    expect((await configChangesSince(handle.db, start + 3)).owners).toBeNull();
  });

  it('finds the providers whose headers are not sealed yet without reading the others', async () => {
    const owner = await insertUser(handle.db, { username: unique('hdr'), passwordHash: null, role: 'user', now });
    const base = { ownerId: owner.id, type: 'openai', endpoint: 'http://h.test/v1', enabled: true, adminOnly: false };
    await upsertProvider(handle.db, { ...base, id: 'plain', settings: { headers: { 'X-A': 'a' } } }, now);
    await upsertProvider(
      handle.db,
      { ...base, id: 'sealed', settings: { [SEALED_HEADERS_SETTING]: { 'X-A': { enc: 'v1:x', hint: 'a' } } } },
      now,
    );
    await upsertProvider(handle.db, { ...base, id: 'none', settings: { request_timeout: 5 } }, now);
    const found = (await listProvidersWithPlainHeaders(handle.db)).filter((p) => p.ownerId === owner.id);
    expect(found.map((p) => p.id)).toEqual(['plain']);
  });

  it('writes usage events exactly once and aggregates them', async () => {
    const userId = unique('usage-user');
    const ids = [1, 2, 3].map((i) => `${userId}-ev-${i}`);
    const hour = 3_600_000;
    const events = [
      usageEvent(ids[0]!, { userId, at: now }),
      usageEvent(ids[1]!, {
        userId,
        at: now + 10,
        outcome: 'error',
        status: 502,
        provider: null,
        model: null,
        costMicros: null,
      }),
      usageEvent(ids[2]!, {
        userId,
        at: now + hour,
        route: 'user-autoselect/engineering',
        autoselectReason: 'privacy',
      }),
    ];
    expect(await insertUsageEvents(handle.db, events)).toBe(3);
    const extra = usageEvent(`${userId}-ev-4`, { userId, at: now + 2 * hour, promptTokens: 100 });
    expect(await insertUsageEvents(handle.db, [...events, extra])).toBe(1);
    const report = await queryUsage(handle.db, { userId, groupBy: 'route', bucket: 'hour' });
    expect(report.totals).toEqual({
      requests: 4,
      errors: 1,
      promptTokens: 130,
      completionTokens: 20,
      costMicros: 126,
      unpricedRequests: 0,
    });
    const bucketStart = now - (now % hour);
    expect(report.series.map((p) => [p.t, p.requests, p.errors])).toEqual([
      [bucketStart, 2, 1],
      [bucketStart + hour, 1, 0],
      [bucketStart + 2 * hour, 1, 0],
    ]);
    expect(report.groups).toEqual([
      {
        key: 'user-rotation/coding-production',
        requests: 3,
        errors: 1,
        promptTokens: 120,
        completionTokens: 15,
        costMicros: 84,
        unpricedRequests: 0,
      },
      {
        key: 'user-autoselect/engineering',
        requests: 1,
        errors: 0,
        promptTokens: 10,
        completionTokens: 5,
        costMicros: 42,
        unpricedRequests: 0,
      },
    ]);
    expect(report.recent[0]).toMatchObject({
      id: `${userId}-ev-4`,
      stream: true,
      latencyMs: 120,
      attempts: [{ provider: 'coderai-local', outcome: 'ok' }],
    });
    const ranged = await queryUsage(handle.db, { userId, from: now + hour, to: now + 2 * hour, groupBy: 'provider' });
    expect(ranged.totals.requests).toBe(1);
    expect(ranged.recent[0]?.autoselectReason).toBe('privacy');
  });

  it('never stores a plaintext token or provider key (raw rows)', async () => {
    const box = createSecretBox(generateSecretKey());
    const user = await insertUser(handle.db, { username: unique('raw'), passwordHash: null, role: 'user', now });
    const token = generateApiToken();
    const key = 'sk-proj-RAWROWSECRET-9f8e7d6c5b4a';
    await insertApiToken(handle.db, {
      userId: user.id,
      name: 'raw',
      hash: hashApiToken(token),
      hint: tokenHint(token),
      expiresAt: null,
      now,
    });
    await upsertProvider(
      handle.db,
      {
        ownerId: user.id,
        id: 'raw-p',
        type: 'openai',
        endpoint: 'http://x/v1',
        apiKeyEnc: box.encrypt(key),
        apiKeyHint: secretHint(key),
        enabled: true,
        adminOnly: false,
        settings: {},
        models: [],
      },
      now,
    );
    const dump: string[] = [];
    for (const table of [
      'users',
      'api_tokens',
      'providers',
      'provider_models',
      'rotations',
      'autoselects',
      'config_version',
      'usage_records',
    ] as const) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(handle.db);
      dump.push(JSON.stringify(rows.rows));
    }
    const all = dump.join('\n');
    expect(all).toContain(hashApiToken(token));
    expect(all).not.toContain(token);
    expect(all).not.toContain(token.slice(6, 30));
    expect(all).not.toContain(key);
    expect(all).not.toContain('RAWROWSECRET');
  });
});
