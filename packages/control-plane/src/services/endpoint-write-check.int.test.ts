import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultEndpointPolicy } from '@aisbf/core';
import {
  createControlPlaneFixture,
  FIXTURE_ADMIN_TOKEN,
  type ControlPlaneFixture,
} from '../test-support/control-plane-fixture';

const UPSERT =
  'mutation($owner: String, $input: ProviderInput!) { upsertProvider(owner: $owner, input: $input) { id scope } }';
const IMPORT =
  'mutation($owner: String, $kind: ConfigKind!, $doc: JSON!) { importConfig(owner: $owner, kind: $kind, document: $doc) { created } }';

/** Write-time endpoint policy (docs/security.md) through GraphQL, with a fake DNS table (no real lookups). */
describe('user-owned provider endpoints are checked when written', () => {
  let f: ControlPlaneFixture;
  const lookups: string[] = [];
  const fetched: string[] = [];
  const dns: Record<string, string[]> = {
    'rebind.test': ['127.0.0.1'],
    'meta.test': ['10.0.0.1', '169.254.169.254'],
    'broker.test': ['192.168.1.20'],
  };
  beforeAll(async () => {
    f = await createControlPlaneFixture('sqlite::memory:', {
      fetch: async (url) => {
        fetched.push(String(url));
        return new Response('{"data":[]}', { headers: { 'content-type': 'application/json' } });
      },
      // The CLI passes the guarded fetch (connect-time policy) here; user-owned providers must use it.
      userFetch: async (url) => {
        fetched.push(`guarded ${String(url)}`);
        return new Response('{"data":[]}', { headers: { 'content-type': 'application/json' } });
      },
      endpointCheck: {
        policy: defaultEndpointPolicy(),
        resolveHost: async (name) => {
          lookups.push(name);
          return dns[name] ?? [];
        },
      },
    });
    await f.insertUser('alice');
  });
  afterAll(async () => f?.close());

  const upsert = (owner: string, endpoint: string, id = 'p1') =>
    f.gql(FIXTURE_ADMIN_TOKEN, UPSERT, {
      owner,
      input: { id, type: 'openai', endpoint, apiKey: 'sk-test-key-000000', models: ['m1'] },
    });

  it.each([
    'http://127.0.0.1:11434/v1',
    'http://2130706433/v1',
    'http://[::ffff:127.0.0.1]/v1',
    'http://localhost:17765/v1',
    'http://169.254.169.254/latest',
    'http://[fe80::1]/v1',
    'http://0.0.0.0:8000/v1',
    'http://rebind.test/v1',
    'http://meta.test/v1',
  ])('refuses %s with BAD_REQUEST on path endpoint', async (endpoint) => {
    const r = await upsert('alice', endpoint);
    expect(r.data).toBeNull();
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_REQUEST', path: 'endpoint' });
    expect(r.errors?.[0]?.message).toMatch(/endpoint/);
    expect(JSON.stringify(r)).not.toContain('sk-test-key');
  });

  it('accepts LAN and public endpoints, and names that resolve to them', async () => {
    for (const [i, endpoint] of [
      'http://192.168.1.20:8000/v1',
      'https://api.example.org/v1',
      'http://broker.test/v1',
    ].entries()) {
      const r = await upsert('alice', endpoint, `ok${i}`);
      expect(r.errors).toBeUndefined();
    }
    expect(lookups).toEqual(expect.arrayContaining(['broker.test', 'api.example.org']));
  });

  it('providers.test checks again: a saved name now resolving to loopback is not probed', async () => {
    const admin = await f.cp.services.auth.authenticateToken(FIXTURE_ADMIN_TOKEN);
    expect(await f.cp.services.providers.test(admin!, { owner: 'alice', id: 'ok2' })).toMatchObject({ ok: true });
    expect(fetched).toEqual(['guarded http://broker.test/v1/models']);
    dns['broker.test'] = ['127.0.0.1'];
    const result = await f.cp.services.providers.test(admin!, { owner: 'alice', id: 'ok2' });
    expect(result.ok).toBe(false);
    expect(result.error).toContain('broker.test (127.0.0.1) is a loopback address');
    expect(fetched).toHaveLength(1);
  });

  it('global (admin-owned) providers are trusted: loopback is fine', async () => {
    const r = await upsert('GLOBAL', 'http://127.0.0.1:11434/v1', 'ollama');
    expect(r.errors).toBeUndefined();
    expect(r.data?.['upsertProvider']).toEqual({ id: 'ollama', scope: 'GLOBAL' });
    const admin = await f.cp.services.auth.authenticateToken(FIXTURE_ADMIN_TOKEN);
    expect(await f.cp.services.providers.test(admin!, { owner: 'GLOBAL', id: 'ollama' })).toMatchObject({ ok: true });
    expect(fetched.at(-1)).toBe('http://127.0.0.1:11434/v1/models');
  });

  it('importConfig refuses a forbidden endpoint with the item path, and stores nothing', async () => {
    const doc = {
      providers: {
        good: { type: 'openai', endpoint: 'http://10.1.1.1/v1', models: ['m1'] },
        evil: { type: 'openai', endpoint: 'http://169.254.169.254/v1', models: ['m1'] },
      },
    };
    const r = await f.gql(FIXTURE_ADMIN_TOKEN, IMPORT, { owner: 'alice', kind: 'PROVIDERS', doc });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_REQUEST' });
    expect(String(r.errors?.[0]?.extensions?.['path'])).toMatch(/evil.*endpoint/);
    const list = await f.gql(FIXTURE_ADMIN_TOKEN, '{ providers(owner: "alice") { id } }');
    expect(list.errors).toBeUndefined();
    const ids = (list.data?.['providers'] as Array<{ id: string }>).map((p) => p.id);
    expect(ids).toContain('ok0');
    expect(ids).not.toContain('good');
  });
});
