import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisSnapshotStore } from '@aisbf/bus';
import { dumpRawRows, loadSnapshot } from '@aisbf/db';
import { createTestMysqlDatabase, testRedisPrefix, testRedisUrl } from '@aisbf/testkit';
import { ADMIN_PASSWORD, ADMIN_TOKEN, createSecurityFixture, type SecurityFixture } from './security-fixture';

// docs/architecture.md "Secrets", cluster mode: on MariaDB and in the Redis snapshot (what every data-plane
// node reads), no token, password or provider key is stored in plaintext. The snapshot carries the
// provider keys as AES-256-GCM ciphertext, decrypted only in a data plane's memory.
const USER_KEY = 'sk-user-PLANTED-cluster-key-5555';
const GLOBAL_KEY = 'sk-global-PLANTED-cluster-key-6666';
const USER_PASSWORD = 'PLANTED-user-password-9a8b';

let f: SecurityFixture;
let store: ReturnType<typeof createRedisSnapshotStore>;
const prefix = testRedisPrefix('security');
let userToken = '';

const planted = (): string[] => [ADMIN_TOKEN, ADMIN_PASSWORD, USER_KEY, GLOBAL_KEY, USER_PASSWORD, userToken];

beforeAll(async () => {
  f = await createSecurityFixture({ databaseUrl: await createTestMysqlDatabase('security') });
  store = createRedisSnapshotStore({ url: testRedisUrl(), prefix });
  const ok = async (query: string, variables: Record<string, unknown> = {}): Promise<Record<string, unknown>> => {
    const reply = await f.gql(ADMIN_TOKEN, query, variables);
    expect(reply.body.errors, reply.text).toBeUndefined();
    return reply.body.data!;
  };
  await ok('mutation($p: String) { createUser(username: "frank", password: $p) { id } }', { p: USER_PASSWORD });
  userToken = (
    (await ok('mutation { createApiToken(owner: "frank", name: "t") { token } }'))['createApiToken'] as {
      token: string;
    }
  ).token;
  const provider = 'mutation($o: String, $i: ProviderInput!) { upsertProvider(owner: $o, input: $i) { id } }';
  await ok(provider, {
    o: 'frank',
    i: { id: 'frank-llm', type: 'openai', endpoint: 'http://127.0.0.1:9/v1', apiKey: USER_KEY, models: ['m1'] },
  });
  await ok(provider, {
    o: 'GLOBAL',
    i: { id: 'global-llm', type: 'openai', endpoint: 'http://127.0.0.1:9/v1', apiKey: GLOBAL_KEY, models: ['m1'] },
  });
  await ok('mutation($c: JSON!) { upsertRotation(owner: "frank", id: "r", config: $c) { id } }', {
    c: { providers: [{ provider_id: 'frank-llm', model: 'm1', weight: 1, error_cooldown: 5 }] },
  });
}, 60_000);

afterAll(async () => {
  await store?.client.del(`${prefix}snapshot`, `${prefix}snapshot:version`);
  await store?.close();
  await f?.close();
});

describe('cluster mode: MariaDB rows and the Redis snapshot', () => {
  it('no planted secret is in any MariaDB row (and the rows are there)', async () => {
    const rows = await dumpRawRows(f.handle.db);
    expect(rows.providers.length).toBe(2);
    expect(rows.api_tokens.length).toBe(2);
    const text = JSON.stringify(rows, (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? v.toString('latin1') : v,
    );
    for (const secret of planted()) expect(text.includes(secret), `a row holds ${secret}`).toBe(false);
  });

  it('no planted secret is in the snapshot as stored in Redis, yet both providers and their keys are in it', async () => {
    expect(await store.put(await loadSnapshot(f.handle.db))).toBe(true);
    const raw = await store.client.get(`${prefix}snapshot`);
    expect(raw).not.toBeNull();
    expect(raw).toContain('frank-llm');
    expect(raw).toContain('global-llm');
    for (const secret of planted()) expect(raw!.includes(secret), `the snapshot holds ${secret}`).toBe(false);
    // The keys travel as ciphertext: the stored snapshot's providers each carry an encrypted key.
    const snapshot = await store.get();
    const providers = snapshot!.providers.filter((p) => p.id === 'frank-llm' || p.id === 'global-llm');
    expect(providers).toHaveLength(2);
    for (const p of providers) expect(JSON.stringify(p)).toMatch(/"apiKeyEnc":"[^"]{20,}"/);
  });
});
