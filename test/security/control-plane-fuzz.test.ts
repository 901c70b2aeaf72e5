import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { securityEnv } from './env';
import { ADMIN_TOKEN, createSecurityFixture, type SecurityFixture } from './security-fixture';

// docs/security.md, fuzzing the control plane: random documents, variables and tRPC inputs to every
// mutation, as an admin (past the auth checks, into the services) and as a user. Never a 5xx,
// never a stack trace or a driver/internal message in the reply. Bounded in CI; AISBF_FUZZ_RUNS
// for more.
const runs = securityEnv.fuzzRuns;
const MAX_BODY = 64 * 1024;
let f: SecurityFixture;
let server: Server;
let url = '';
let aliceToken = '';

/** What no reply may carry: stack frames, source paths, driver errors, JS runtime errors. */
const INTERNAL =
  /\n\s+at |\.ts:\d+|node_modules|SqliteError|TypeError|ReferenceError|RangeError|Cannot read propert|undefined is not|Internal server error|Unexpected error/i;
/** Driver error codes (MySQL's ER_…, SQLite's SQLITE_…): case-sensitive, `provider_id` is fine. */
const DRIVER_CODE = /\b(ER|SQLITE)_[A-Z]{2,}/;

const expectClean = (what: string, reply: { status: number; text: string }): void => {
  expect(reply.status, `${what} → ${reply.text.slice(0, 400)}`).toBeLessThan(500);
  expect(reply.text, what).not.toMatch(INTERNAL);
  expect(reply.text, what).not.toMatch(DRIVER_CODE);
  expect(reply.text, what).not.toMatch(/"code":"INTERNAL(_SERVER_ERROR)?"/);
};

beforeAll(async () => {
  f = await createSecurityFixture({ maxBodyBytes: MAX_BODY });
  await f.gql(ADMIN_TOKEN, 'mutation { createUser(username: "alice") { id } }');
  const created = await f.gql(ADMIN_TOKEN, 'mutation { createApiToken(owner: "alice", name: "fuzz") { token } }');
  aliceToken = (created.body.data!['createApiToken'] as { token: string }).token;
  // The node edge (body limit, raw bytes) over a real socket.
  server = createServer((req, res) => f.cp.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await f?.close();
});

const odd = fc.constantFrom(
  '',
  'GLOBAL',
  'global',
  'admin',
  'alice',
  'nobody',
  '../../etc/passwd',
  'a'.repeat(70),
  '\u0000',
  'x\ny',
  '💥',
  "' or 1=1 --",
  '%00',
  'user-rotation/x',
  '__proto__',
  'constructor',
);
const str = fc.oneof(fc.string({ maxLength: 40 }), odd, fc.stringMatching(/^[a-z0-9][a-z0-9._:-]{0,12}$/));
const json = fc.jsonValue({ maxDepth: 4 });
const token = fc.constantFrom('admin', 'alice');
/** Endpoints stay on a closed local port or are not URLs at all: a fuzzer never reaches a network. */
const endpoint = fc.oneof(
  fc.constant('http://127.0.0.1:9/v1'),
  fc.string({ maxLength: 20 }),
  fc.constantFrom('file:///etc/passwd', 'http://169.254.169.254/latest', 'javascript:alert(1)'),
);
const routeConfig = fc.oneof(
  json,
  fc.record(
    {
      providers: fc.array(
        fc.record(
          {
            provider_id: str,
            model: str,
            weight: fc.oneof(fc.integer(), fc.double(), str),
            error_cooldown: fc.oneof(fc.integer(), str),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 3 },
      ),
      strategy: str,
      model_name: str,
    },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      selection_model: str,
      fallback: str,
      classify_privacy: fc.oneof(fc.boolean(), str),
      available_models: fc.array(
        fc.record({ model_id: str, description: str, privacy: fc.boolean() }, { requiredKeys: [] }),
        { maxLength: 3 },
      ),
    },
    { requiredKeys: [] },
  ),
);
const providerInput = fc.record(
  {
    id: str,
    type: fc.oneof(str, fc.constantFrom('openai', 'OpenAI-compatible', 'anthropic')),
    endpoint,
    apiKey: fc.option(str, { nil: undefined }),
    models: fc.option(fc.array(str, { maxLength: 3 }), { nil: undefined }),
    settings: fc.option(json, { nil: undefined }),
    adminOnly: fc.option(fc.boolean(), { nil: undefined }),
  },
  { requiredKeys: ['id', 'type', 'endpoint'] },
);
const owner = fc.option(str, { nil: null });

/** Every GraphQL mutation with typed variables and an arbitrary for them. */
const MUTATIONS: Array<[string, string, fc.Arbitrary<Record<string, unknown>>]> = [
  [
    'createUser',
    'mutation($u: String!, $p: String, $r: Role) { createUser(username: $u, password: $p, role: $r) { id } }',
    fc.record({ u: str, p: fc.constant(null), r: fc.constantFrom('USER', 'ADMIN') }),
  ],
  [
    'createApiToken',
    'mutation($o: String, $n: String!, $e: DateTime) { createApiToken(owner: $o, name: $n, expiresAt: $e) { id } }',
    fc.record({
      o: owner,
      n: str,
      e: fc.option(
        fc.oneof(
          str,
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        ),
        { nil: null },
      ),
    }),
  ],
  ['revokeApiToken', 'mutation($id: ID!) { revokeApiToken(id: $id) }', fc.record({ id: str })],
  [
    'deleteUser',
    'mutation($u: String!) { deleteUser(username: $u) }',
    fc.record({ u: str.filter((u) => u !== 'admin') }),
  ],
  [
    'upsertProvider',
    'mutation($o: String, $i: ProviderInput!) { upsertProvider(owner: $o, input: $i) { id apiKeyHint } }',
    fc.record({ o: owner, i: providerInput }),
  ],
  [
    'deleteProvider',
    'mutation($o: String, $id: String!) { deleteProvider(owner: $o, id: $id) }',
    fc.record({ o: owner, id: str }),
  ],
  [
    'discoverModels',
    'mutation($o: String, $p: String!) { discoverModels(owner: $o, providerId: $p) { models } }',
    fc.record({ o: owner, p: str }),
  ],
  [
    'upsertRotation',
    'mutation($o: String, $id: String!, $c: JSON!) { upsertRotation(owner: $o, id: $id, config: $c) { id } }',
    fc.record({ o: owner, id: str, c: routeConfig }),
  ],
  [
    'deleteRotation',
    'mutation($o: String, $id: String!) { deleteRotation(owner: $o, id: $id) }',
    fc.record({ o: owner, id: str }),
  ],
  [
    'upsertAutoselect',
    'mutation($o: String, $id: String!, $c: JSON!) { upsertAutoselect(owner: $o, id: $id, config: $c) { id } }',
    fc.record({ o: owner, id: str, c: routeConfig }),
  ],
  [
    'deleteAutoselect',
    'mutation($o: String, $id: String!) { deleteAutoselect(owner: $o, id: $id) }',
    fc.record({ o: owner, id: str }),
  ],
  [
    'importConfig',
    'mutation($o: String, $k: ConfigKind!, $d: JSON!) { importConfig(owner: $o, kind: $k, document: $d) { created warnings { path } } }',
    fc.record({
      o: owner,
      k: fc.constantFrom('PROVIDERS', 'ROTATIONS', 'AUTOSELECTS'),
      d: fc.oneof(
        json,
        fc.dictionary(str, routeConfig, { maxKeys: 3 }),
        fc.record({ rotations: fc.dictionary(str, routeConfig, { maxKeys: 3 }) }),
      ),
    }),
  ],
];

describe('GraphQL fuzz', () => {
  for (const [name, document, variables] of MUTATIONS) {
    it(`${name}: random variables never give a 5xx or an internal message`, async () => {
      await fc.assert(
        fc.asyncProperty(token, variables, async (who, vars) => {
          const reply = await f.gql(who === 'admin' ? ADMIN_TOKEN : aliceToken, document, vars);
          expectClean(`${name} ${JSON.stringify(vars)}`, reply);
        }),
        { numRuns: runs },
      );
    });
  }

  it('random documents and untyped variables never give a 5xx', async () => {
    const words = fc.constantFrom(
      '{',
      '}',
      '(',
      ')',
      'query',
      'mutation',
      'fragment',
      'on',
      '...',
      '$v',
      ':',
      'String!',
      'me',
      'users',
      'providers',
      'id',
      'upsertRotation',
      'config',
      '"x"',
      '@skip(if: true)',
      '__schema',
      '__typename',
      'owner',
      '[',
      ']',
      '!',
      '=',
      '#',
      '\u0000',
    );
    const doc = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.array(words, { maxLength: 40 }).map((w) => w.join(' ')),
    );
    await fc.assert(
      fc.asyncProperty(
        token,
        doc,
        fc.option(fc.dictionary(fc.string({ maxLength: 5 }), json, { maxKeys: 3 }), { nil: undefined }),
        async (who, query, vars) => {
          const reply = await f.gql(who === 'admin' ? ADMIN_TOKEN : aliceToken, query, vars);
          expectClean(`document ${JSON.stringify(query)}`, reply);
        },
      ),
      { numRuns: runs * 3 },
    );
  });
});

/** Every tRPC mutation (and the queries that take input), with a shaped or arbitrary input. */
const PROCEDURES: Array<[string, 'query' | 'mutation', fc.Arbitrary<unknown>]> = [
  ['auth.login', 'mutation', fc.record({ username: str, password: str }, { requiredKeys: [] })],
  [
    'users.create',
    'mutation',
    fc.record({ username: str, role: fc.oneof(str, fc.constantFrom('admin', 'user')) }, { requiredKeys: [] }),
  ],
  ['users.delete', 'mutation', fc.record({ username: str.filter((u) => u !== 'admin') })],
  [
    'tokens.create',
    'mutation',
    fc.record({ owner: str, name: str, expiresAt: fc.option(str, { nil: null }) }, { requiredKeys: [] }),
  ],
  ['tokens.revoke', 'mutation', fc.record({ id: str })],
  ['providers.upsert', 'mutation', fc.record({ owner: str, input: providerInput }, { requiredKeys: ['input'] })],
  ['providers.delete', 'mutation', fc.record({ owner: str, id: str }, { requiredKeys: [] })],
  ['providers.discoverModels', 'mutation', fc.record({ owner: str, id: str }, { requiredKeys: [] })],
  ['providers.test', 'mutation', fc.record({ owner: str, id: str }, { requiredKeys: [] })],
  ['rotations.upsert', 'mutation', fc.record({ owner: str, id: str, config: routeConfig }, { requiredKeys: [] })],
  ['rotations.delete', 'mutation', fc.record({ owner: str, id: str }, { requiredKeys: [] })],
  ['autoselects.upsert', 'mutation', fc.record({ owner: str, id: str, config: routeConfig }, { requiredKeys: [] })],
  ['autoselects.delete', 'mutation', fc.record({ owner: str, id: str }, { requiredKeys: [] })],
  [
    'autoselects.dryRun',
    'mutation',
    fc.record({ owner: str, id: str, prompt: fc.string({ maxLength: 300 }) }, { requiredKeys: [] }),
  ],
  [
    'config.import',
    'mutation',
    fc.record(
      {
        owner: str,
        kind: fc.oneof(str, fc.constantFrom('providers', 'rotations', 'autoselects')),
        document: fc.oneof(json, fc.dictionary(str, routeConfig, { maxKeys: 3 })),
      },
      { requiredKeys: [] },
    ),
  ],
  [
    'usage.query',
    'query',
    fc.record(
      {
        user: str,
        token: str,
        route: str,
        from: str,
        to: str,
        groupBy: str,
        bucket: str,
        limit: fc.oneof(fc.integer(), str),
      },
      { requiredKeys: [] },
    ),
  ],
];

describe('tRPC fuzz', () => {
  for (const [path, kind, input] of PROCEDURES) {
    it(`${path}: shaped or arbitrary input never gives a 5xx or an internal message`, async () => {
      await fc.assert(
        fc.asyncProperty(token, fc.oneof(input, json), async (who, value) => {
          // auth.login counts failures per address: a fresh client address per run keeps the limiter out of it.
          const reply = await f.trpc(who === 'admin' ? ADMIN_TOKEN : aliceToken, path, kind, value);
          expectClean(`${path} ${JSON.stringify(value)}`, reply);
        }),
        { numRuns: runs },
      );
    });
  }

  it('raw bodies, unknown paths and batch syntax never give a 5xx', async () => {
    const path = fc.oneof(
      fc.constantFrom(
        'providers.upsert',
        'providers.upsert,rotations.upsert',
        'nope',
        'auth.login',
        '',
        '..%2f..%2fetc',
        'providers.list',
      ),
      fc.string({ maxLength: 20 }).map(encodeURIComponent),
    );
    await fc.assert(
      fc.asyncProperty(path, fc.string({ maxLength: 200 }), fc.boolean(), async (p, body, batch) => {
        const response = await f.cp.fetch(
          new Request(`http://cp.test/trpc/${p}${batch ? '?batch=1' : ''}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
            body,
          }),
        );
        expectClean(`raw ${p} ${JSON.stringify(body)}`, { status: response.status, text: await response.text() });
      }),
      { numRuns: runs * 2 },
    );
  });
});

describe('control-plane limits over a real socket', () => {
  const post = async (path: string, body: string): Promise<{ status: number; text: string }> => {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body,
    });
    return { status: response.status, text: await response.text() };
  };

  it('a body over the limit is 413 on /graphql and /trpc, and the server keeps answering', async () => {
    const big = JSON.stringify({
      query: 'mutation($c: JSON!) { upsertRotation(id: "big", config: $c) { id } }',
      variables: { c: { pad: 'x'.repeat(MAX_BODY) } },
    });
    for (const path of ['/graphql', '/trpc/rotations.upsert']) {
      const reply = await post(path, big);
      expect(reply.status, reply.text).toBe(413);
      expect(reply.text).not.toMatch(INTERNAL);
    }
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  // Deeper than about 2000 levels, graphql-js overflows its stack and the reply is a masked
  // INTERNAL error (no crash, still 200): docs/security.md "Findings" 2, no depth limit yet.
  it.each([25, 1000, 3000])(
    'a GraphQL document nested %i levels deep is refused as a request error (depth rule or token limit)',
    async (depth) => {
      const query = `{ ${'me { '.repeat(depth)}id${' }'.repeat(depth)} }`;
      const reply = await post('/graphql', JSON.stringify({ query }));
      expectClean('deep document', reply);
      expect(reply.text).toMatch(/GRAPHQL_VALIDATION_FAILED|GRAPHQL_PARSE_FAILED/);
    },
  );

  it('deeply nested JSON in a JSON! variable and a tRPC input is refused or stored, never a 5xx', async () => {
    const depth = 5000;
    const nested = `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    const graphql = await post(
      '/graphql',
      `{"query":"mutation($c: JSON!) { upsertRotation(id: \\"deep\\", config: $c) { id } }","variables":{"c":${nested}}}`,
    );
    expectClean('deep JSON variable', graphql);
    const trpc = await post('/trpc/rotations.upsert', `{"id":"deep","config":${nested}}`);
    expectClean('deep tRPC input', trpc);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});
