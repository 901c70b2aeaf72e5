import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisPartStore } from '@aisbf/bus';
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
let store: ReturnType<typeof createRedisPartStore>;
const prefix = testRedisPrefix('security');
let userToken = '';

const planted = (): string[] => [ADMIN_TOKEN, ADMIN_PASSWORD, USER_KEY, GLOBAL_KEY, USER_PASSWORD, userToken];

beforeAll(async () => {
  f = await createSecurityFixture({ databaseUrl: await createTestMysqlDatabase('security') });
  store = createRedisPartStore({ url: testRedisUrl(), prefix });
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
  const keys = (await store?.client.keys(`${prefix}*`)) ?? [];
  if (keys.length > 0) await store?.client.del(...keys);
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

  it('no planted secret is in the config parts as stored in Redis, yet both providers and their keys are in them', async () => {
    expect(await store.put(await loadSnapshot(f.handle.db))).toBe(true);
    // Every key the parts wrote: the parts, the token and username indexes, the change log.
    const keys = await store.client.keys(`${prefix}*`);
    expect(keys.length).toBeGreaterThan(3);
    const values: string[] = [];
    for (const key of keys) {
      const type = await store.client.type(key);
      if (type === 'string') values.push((await store.client.get(key)) ?? '');
      else if (type === 'hash') values.push(JSON.stringify(await store.client.hgetall(key)));
      else if (type === 'set') values.push(JSON.stringify(await store.client.smembers(key)));
      else if (type === 'stream') values.push(JSON.stringify(await store.client.xrange(key, '-', '+')));
    }
    const raw = values.join('\n');
    expect(raw).toContain('frank-llm');
    expect(raw).toContain('global-llm');
    for (const secret of planted()) expect(raw.includes(secret), `the parts hold ${secret}`).toBe(false);
    // The keys travel as ciphertext: the stored parts' providers each carry an encrypted key.
    const frank = (await store.userIdByName('frank'))!;
    const [user] = await store.getUsers([frank]);
    const global = await store.getGlobal();
    const providers = [...user!.part.providers, ...global!.part.providers].filter(
      (p) => p.id === 'frank-llm' || p.id === 'global-llm',
    );
    expect(providers).toHaveLength(2);
    for (const p of providers) expect(JSON.stringify(p)).toMatch(/"apiKeyEnc":"[^"]{20,}"/);
  });
});
