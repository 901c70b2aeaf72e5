import { findUserByUsername, insertUsageEvents, updateUser } from '@aisbf/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createSecurityFixture, type SecurityFixture } from './security-fixture';

// docs/security.md, tenant isolation: every read and write of every resource, tried across users through
// GraphQL and tRPC. Each must be refused with a typed error that names nothing of the other
// tenant's (resource ids it was not given, keys, tokens).
const BOB_KEY = 'sk-bob-PLANTED-provider-key-98765';
const GLOBAL_KEY = 'sk-global-PLANTED-provider-key-4321';
const BOB_HIDDEN = ['bob-hidden-provider', 'bob-hidden-rotation', 'bob-hidden-autoselect', BOB_KEY, GLOBAL_KEY];

let f: SecurityFixture;
const tokens = { alice: '', bob: '', revoked: '', expired: '', deleted: '', disabled: '' };
let bobTokenId = '';

const createToken = async (owner: string, name: string, expiresAt?: string): Promise<{ id: string; token: string }> => {
  const reply = await f.gql(
    ADMIN_TOKEN,
    'mutation($o: String, $n: String!, $e: DateTime) { createApiToken(owner: $o, name: $n, expiresAt: $e) { id token } }',
    { o: owner, n: name, e: expiresAt ?? null },
  );
  expect(reply.body.errors).toBeUndefined();
  return reply.body.data!['createApiToken'] as { id: string; token: string };
};

const adminOk = async (query: string, variables: Record<string, unknown> = {}): Promise<void> => {
  const reply = await f.gql(ADMIN_TOKEN, query, variables);
  expect(reply.body.errors, query).toBeUndefined();
};

beforeAll(async () => {
  f = await createSecurityFixture();
  for (const u of ['alice', 'bob', 'carol', 'dave'])
    await adminOk('mutation($u: String!) { createUser(username: $u, password: "a-long-password-123") { id } }', { u });
  tokens.alice = (await createToken('alice', 'a')).token;
  const bob = await createToken('bob', 'b');
  tokens.bob = bob.token;
  bobTokenId = bob.id;
  const revoked = await createToken('alice', 'to-revoke');
  tokens.revoked = revoked.token;
  await adminOk('mutation($id: ID!) { revokeApiToken(id: $id) }', { id: revoked.id });
  tokens.expired = (await createToken('alice', 'short', new Date(f.clock.now + 1000).toISOString())).token;
  tokens.deleted = (await createToken('carol', 'c')).token;
  await adminOk('mutation { deleteUser(username: "carol") }');
  tokens.disabled = (await createToken('dave', 'd')).token;
  // No API disables a user (see docs/security.md); the column is what the auth check reads.
  const dave = await findUserByUsername(f.handle.db, 'dave');
  await updateUser(f.handle.db, dave!.id, { disabled: true }, f.clock.now);
  // One usage record of bob's, on the secret route: no one else may see it.
  const bobUser = await findUserByUsername(f.handle.db, 'bob');
  await insertUsageEvents(f.handle.db, [
    {
      id: 'usage-bob-00000001',
      requestId: 'r1',
      at: f.clock.now,
      userId: bobUser!.id,
      tokenId: bobTokenId,
      route: 'user-rotation/bob-hidden-rotation',
      provider: 'bob-hidden-provider',
      providerOwnerId: bobUser!.id,
      model: 'm1',
      endpoint: 'chat.completions',
      stream: false,
      status: 200,
      outcome: 'ok',
      promptTokens: 3,
      completionTokens: 4,
      estimated: false,
      latencyMs: 5,
      ttfbMs: 2,
      attempts: [],
    },
  ]);
  // The token expires: the clock moves past expiresAt.
  f.clock.now += 5000;

  const provider = 'mutation($o: String, $i: ProviderInput!) { upsertProvider(owner: $o, input: $i) { id } }';
  await adminOk(provider, {
    o: 'bob',
    i: {
      id: 'bob-hidden-provider',
      type: 'openai',
      endpoint: 'http://127.0.0.1:9/v1',
      apiKey: BOB_KEY,
      models: ['m1'],
    },
  });
  await adminOk(provider, {
    o: 'GLOBAL',
    i: {
      id: 'global-secret',
      type: 'openai',
      endpoint: 'http://127.0.0.1:9/v1',
      apiKey: GLOBAL_KEY,
      models: ['m1'],
      adminOnly: true,
    },
  });
  await adminOk('mutation($c: JSON!) { upsertRotation(owner: "bob", id: "bob-hidden-rotation", config: $c) { id } }', {
    c: { providers: [{ provider_id: 'bob-hidden-provider', model: 'm1', weight: 1, error_cooldown: 5 }] },
  });
  await adminOk(
    'mutation($c: JSON!) { upsertAutoselect(owner: "bob", id: "bob-hidden-autoselect", config: $c) { id } }',
    {
      c: {
        model_name: 'x',
        selection_model: 'user-rotation/bob-hidden-rotation',
        fallback: 'user-rotation/bob-hidden-rotation',
        classify_privacy: false,
        classify_semantic: false,
        available_models: [{ model_id: 'user-rotation/bob-hidden-rotation', description: 'd' }],
      },
    },
  );
}, 60_000);

afterAll(async () => {
  await f?.close();
});

const rotationConfig = { providers: [{ provider_id: 'p', model: 'm', weight: 1, error_cooldown: 5 }] };
const providerInput = {
  id: 'planted',
  type: 'openai',
  endpoint: 'http://127.0.0.1:9/v1',
  apiKey: 'sk-x',
  models: ['m'],
};

/** Every GraphQL operation that takes an owner, as [name, document, variables(owner)]. */
const GQL_OWNED: Array<[string, string, (owner: string) => Record<string, unknown>]> = [
  ['providers', 'query($o: String) { providers(owner: $o) { id } }', (o) => ({ o })],
  ['rotations', 'query($o: String) { rotations(owner: $o) { id } }', (o) => ({ o })],
  ['autoselects', 'query($o: String) { autoselects(owner: $o) { id } }', (o) => ({ o })],
  ['apiTokens', 'query($o: String) { apiTokens(owner: $o) { id } }', (o) => ({ o })],
  ['exportConfig', 'query($o: String) { exportConfig(owner: $o) { providers rotations autoselects } }', (o) => ({ o })],
  ['routes', 'query($o: String) { routes(owner: $o) }', (o) => ({ o })],
  [
    'upsertProvider',
    'mutation($o: String, $i: ProviderInput!) { upsertProvider(owner: $o, input: $i) { id } }',
    (o) => ({ o, i: providerInput }),
  ],
  ['deleteProvider', 'mutation($o: String) { deleteProvider(owner: $o, id: "bob-hidden-provider") }', (o) => ({ o })],
  [
    'discoverModels',
    'mutation($o: String) { discoverModels(owner: $o, providerId: "bob-hidden-provider") { models } }',
    (o) => ({ o }),
  ],
  [
    'upsertRotation',
    'mutation($o: String, $c: JSON!) { upsertRotation(owner: $o, id: "planted", config: $c) { id } }',
    (o) => ({ o, c: rotationConfig }),
  ],
  ['deleteRotation', 'mutation($o: String) { deleteRotation(owner: $o, id: "bob-hidden-rotation") }', (o) => ({ o })],
  [
    'upsertAutoselect',
    'mutation($o: String, $c: JSON!) { upsertAutoselect(owner: $o, id: "planted", config: $c) { id } }',
    (o) => ({ o, c: { selection_model: 'x', fallback: 'x', available_models: [] } }),
  ],
  [
    'deleteAutoselect',
    'mutation($o: String) { deleteAutoselect(owner: $o, id: "bob-hidden-autoselect") }',
    (o) => ({ o }),
  ],
  [
    'importConfig',
    'mutation($o: String, $d: JSON!) { importConfig(owner: $o, kind: ROTATIONS, document: $d) { created } }',
    (o) => ({ o, d: { rotations: { planted: rotationConfig } } }),
  ],
  ['createApiToken', 'mutation($o: String) { createApiToken(owner: $o, name: "planted") { token } }', (o) => ({ o })],
];

/** The same over tRPC, as [path, kind, input(owner)]. */
const TRPC_OWNED: Array<[string, 'query' | 'mutation', (owner: string) => unknown]> = [
  ['providers.list', 'query', (owner) => ({ owner })],
  ['rotations.list', 'query', (owner) => ({ owner })],
  ['autoselects.list', 'query', (owner) => ({ owner })],
  ['tokens.list', 'query', (owner) => ({ owner })],
  ['config.export', 'query', (owner) => ({ owner })],
  ['routes.list', 'query', (owner) => ({ owner })],
  ['providers.upsert', 'mutation', (owner) => ({ owner, input: providerInput })],
  ['providers.delete', 'mutation', (owner) => ({ owner, id: 'bob-hidden-provider' })],
  ['providers.discoverModels', 'mutation', (owner) => ({ owner, id: 'bob-hidden-provider' })],
  ['providers.test', 'mutation', (owner) => ({ owner, id: 'bob-hidden-provider' })],
  ['rotations.upsert', 'mutation', (owner) => ({ owner, id: 'planted', config: rotationConfig })],
  ['rotations.delete', 'mutation', (owner) => ({ owner, id: 'bob-hidden-rotation' })],
  [
    'autoselects.upsert',
    'mutation',
    (owner) => ({ owner, id: 'planted', config: { selection_model: 'x', fallback: 'x', available_models: [] } }),
  ],
  ['autoselects.delete', 'mutation', (owner) => ({ owner, id: 'bob-hidden-autoselect' })],
  ['autoselects.dryRun', 'mutation', (owner) => ({ owner, id: 'bob-hidden-autoselect', prompt: 'hi' })],
  [
    'config.import',
    'mutation',
    (owner) => ({ owner, kind: 'rotations', document: { rotations: { planted: rotationConfig } } }),
  ],
  ['tokens.create', 'mutation', (owner) => ({ owner, name: 'planted' })],
];

const expectNoLeak = (text: string, context: string): void => {
  for (const secret of [...BOB_HIDDEN, tokens.bob, ADMIN_TOKEN])
    expect(text, `${context} leaks ${secret}`).not.toContain(secret);
  expect(text, context).not.toMatch(/\bat .*\.ts:\d+/);
};

const gqlCode = (reply: Awaited<ReturnType<SecurityFixture['gql']>>): string | undefined =>
  reply.body.errors?.[0]?.extensions?.code;

describe('GraphQL: alice against bob and the global scope', () => {
  for (const [name, document, variables] of GQL_OWNED) {
    for (const owner of ['bob', 'GLOBAL']) {
      const isGlobalRead = owner === 'GLOBAL' && /^(providers|rotations|autoselects|routes)$/.test(name);
      if (isGlobalRead) continue; // users may read the global resources they may call (checked below)
      it(`${name}(owner: ${owner}) is FORBIDDEN`, async () => {
        const reply = await f.gql(tokens.alice, document, variables(owner));
        expect(reply.status).toBeLessThan(500);
        expect(gqlCode(reply), reply.text).toBe('FORBIDDEN');
        expectNoLeak(reply.text, name);
      });
    }
  }

  it('reading the global scope shows no key and no admin-only provider', async () => {
    const reply = await f.gql(tokens.alice, '{ providers(owner: "GLOBAL") { id apiKeyHint endpoint } routes }');
    expectNoLeak(reply.text, 'global read');
    expect(reply.text).not.toContain('global-secret');
  });

  it("usage: another user's is FORBIDDEN; filtering by bob's token or route shows alice nothing", async () => {
    const denied = await f.gql(tokens.alice, '{ usage(user: "bob") { totals { requests } } }');
    expect(gqlCode(denied), denied.text).toBe('FORBIDDEN');
    expectNoLeak(denied.text, 'usage');
    const document =
      'query($t: String, $r: String) { usage(token: $t, route: $r, groupBy: ROUTE) { totals { requests } groups { key } recent { route provider } } }';
    for (const variables of [{ t: bobTokenId }, { r: 'user-rotation/bob-hidden-rotation' }, {}]) {
      const alice = await f.gql(tokens.alice, document, variables);
      expect(alice.body.errors).toBeUndefined();
      expect((alice.body.data!['usage'] as { totals: { requests: number } }).totals.requests).toBe(0);
      expectNoLeak(alice.text, 'usage');
    }
    // The check can fail: bob sees his own record through the same query.
    const bob = await f.gql(tokens.bob, document, {});
    expect((bob.body.data!['usage'] as { totals: { requests: number } }).totals.requests).toBe(1);
    expect(bob.text).toContain('bob-hidden-rotation');
  });

  it('admin-only operations (users, createUser, deleteUser) are FORBIDDEN', async () => {
    for (const document of [
      '{ users { id } }',
      'mutation { createUser(username: "mallory", role: ADMIN) { id } }',
      'mutation { deleteUser(username: "bob") }',
    ]) {
      const reply = await f.gql(tokens.alice, document);
      expect(gqlCode(reply), `${document}: ${reply.text}`).toBe('FORBIDDEN');
      expectNoLeak(reply.text, document);
    }
  });

  it("bob's token cannot be revoked by alice, and stays valid", async () => {
    const reply = await f.gql(tokens.alice, 'mutation($id: ID!) { revokeApiToken(id: $id) }', { id: bobTokenId });
    expect(['NOT_FOUND', 'FORBIDDEN']).toContain(gqlCode(reply));
    expectNoLeak(reply.text, 'revokeApiToken');
    const me = await f.gql(tokens.bob, '{ me { username } }');
    expect(me.body.data).toEqual({ me: { username: 'bob' } });
  });

  it("alice's own-scope operations never reach bob's resources of the same name", async () => {
    for (const document of [
      'mutation { deleteProvider(id: "bob-hidden-provider") }',
      'mutation { deleteRotation(id: "bob-hidden-rotation") }',
      'mutation { deleteAutoselect(id: "bob-hidden-autoselect") }',
      'mutation { discoverModels(providerId: "bob-hidden-provider") { models } }',
    ]) {
      const reply = await f.gql(tokens.alice, document);
      const refused =
        reply.body.errors !== undefined
          ? gqlCode(reply)
          : JSON.stringify(reply.body.data).includes('false')
            ? 'FALSE'
            : 'ACCEPTED';
      expect(['NOT_FOUND', 'FALSE'], `${document}: ${reply.text}`).toContain(refused);
    }
    const mine = await f.gql(
      tokens.alice,
      '{ providers { id } rotations { id } autoselects { id } exportConfig { providers rotations autoselects } routes }',
    );
    expectNoLeak(mine.text, 'own reads');
    const bobs = await f.gql(tokens.bob, '{ providers { id } rotations { id } autoselects { id } }');
    expect(bobs.text).toContain('bob-hidden-provider');
    expect(bobs.text).toContain('bob-hidden-rotation');
    expect(bobs.text).toContain('bob-hidden-autoselect');
  });

  for (const state of ['revoked', 'expired', 'deleted', 'disabled'] as const) {
    it(`a ${state} token is UNAUTHENTICATED for every owned operation`, async () => {
      for (const [name, document, variables] of GQL_OWNED) {
        const reply = await f.gql(tokens[state], document, variables('alice'));
        expect(gqlCode(reply), `${name}: ${reply.text}`).toBe('UNAUTHENTICATED');
        expectNoLeak(reply.text, name);
      }
      const me = await f.gql(tokens[state], '{ me { username } }');
      expect(me.body.data?.['me'] ?? null).toBeNull();
    });
  }
});

describe('tRPC: alice against bob and the global scope', () => {
  for (const [path, kind, input] of TRPC_OWNED) {
    for (const owner of ['bob', 'GLOBAL']) {
      if (owner === 'GLOBAL' && /^(providers|rotations|autoselects|routes)\.list$/.test(path)) continue;
      it(`${path}(owner: ${owner}) is FORBIDDEN (403)`, async () => {
        const reply = await f.trpc(tokens.alice, path, kind, input(owner));
        expect(reply.code, reply.text).toBe('FORBIDDEN');
        expect(reply.status).toBe(403);
        expectNoLeak(reply.text, path);
      });
    }
  }

  it('admin-only procedures and cross-user revokes are refused', async () => {
    const cases: Array<[string, 'query' | 'mutation', unknown, string[]]> = [
      ['users.list', 'query', undefined, ['FORBIDDEN']],
      ['users.create', 'mutation', { username: 'mallory', role: 'admin' }, ['FORBIDDEN']],
      ['users.delete', 'mutation', { username: 'bob' }, ['FORBIDDEN']],
      ['tokens.revoke', 'mutation', { id: bobTokenId }, ['FORBIDDEN', 'NOT_FOUND']],
    ];
    for (const [path, kind, input, codes] of cases) {
      const reply = await f.trpc(tokens.alice, path, kind, input);
      expect(codes, `${path}: ${reply.text}`).toContain(reply.code);
      expectNoLeak(reply.text, path);
    }
  });

  it("usage.query: another user's is FORBIDDEN; bob's token id as a filter shows alice nothing", async () => {
    const denied = await f.trpc(tokens.alice, 'usage.query', 'query', { user: 'bob' });
    expect(denied.code).toBe('FORBIDDEN');
    expectNoLeak(denied.text, 'usage.query');
    const reply = await f.trpc(tokens.alice, 'usage.query', 'query', { token: bobTokenId, groupBy: 'route' });
    expect(reply.code, reply.text).toBeNull();
    expect((reply.data as { totals: { requests: number } }).totals.requests).toBe(0);
    expectNoLeak(reply.text, 'usage.query');
  });

  for (const state of ['revoked', 'expired', 'deleted', 'disabled'] as const) {
    it(`a ${state} token is UNAUTHORIZED (401) for every procedure`, async () => {
      for (const [path, kind, input] of TRPC_OWNED) {
        const reply = await f.trpc(tokens[state], path, kind, input('alice'));
        expect(reply.code, `${path}: ${reply.text}`).toBe('UNAUTHORIZED');
        expect(reply.status).toBe(401);
        expectNoLeak(reply.text, path);
      }
      const me = await f.trpc(tokens[state], 'auth.me', 'query');
      expect(me.data).toBeNull();
    });
  }
});
