import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createSecurityFixture, type SecurityFixture } from './security-fixture';

// docs/security.md, second review, finding 2: an autoselect's private_patterns ran on JavaScript's
// backtracking engine, so `^(a+)+$` against thirty `a` and a `!` held the event loop for 37 s.
// Tenant patterns are compiled with a linear-time engine now; what it cannot run is refused on save,
// naming the pattern, and the dry run evaluates with the same engine.
let f: SecurityFixture;
let alice = '';

const config = (patterns: string[]) => ({
  fallback: 'user-provider/p/m',
  classify_semantic: false,
  available_models: [{ model_id: 'user-provider/p/m' }, { model_id: 'user-provider/p/private', privacy: true }],
  private_patterns: patterns,
});

beforeAll(async () => {
  f = await createSecurityFixture();
  const user = await f.gql(
    ADMIN_TOKEN,
    'mutation { createUser(username: "alice", password: "a-long-password-123") { id } }',
  );
  expect(user.body.errors).toBeUndefined();
  const token = await f.gql(ADMIN_TOKEN, 'mutation { createApiToken(owner: "alice", name: "t") { token } }');
  alice = (token.body.data!['createApiToken'] as { token: string }).token;
  const provider = await f.gql(
    alice,
    'mutation { upsertProvider(input: { id: "p", type: "openai", endpoint: "http://10.1.2.3/v1", models: ["m", "private"] }) { id } }',
  );
  expect(provider.body.errors, provider.text).toBeUndefined();
}, 60_000);

afterAll(async () => {
  await f?.close();
});

describe('tenant regular expressions', () => {
  it('GraphQL refuses a backreference on save, naming the pattern and why', async () => {
    const reply = await f.gql(alice, 'mutation($c: JSON!) { upsertAutoselect(id: "a1", config: $c) { id } }', {
      c: config(['bluebird', '(secret)\\1']),
    });
    expect(reply.body.data ?? null).toBeNull();
    const error = reply.body.errors?.[0];
    expect(error?.extensions?.code).toBe('BAD_REQUEST');
    expect(error?.message).toContain('private_patterns[1]: pattern');
    expect(error?.message).toContain('"(secret)\\\\1" is not supported');
    expect(error?.message).toContain('no backreferences or lookaround');
    const list = await f.gql(alice, '{ autoselects { id } }');
    expect(list.body.data!['autoselects']).toEqual([]);
  });

  it('tRPC and importConfig refuse a lookahead the same way', async () => {
    const trpc = await f.trpc(alice, 'autoselects.upsert', 'mutation', {
      id: 'a2',
      config: config(['foo(?=bar)']),
    });
    expect(trpc.status).toBe(400);
    expect(trpc.message).toContain('"foo(?=bar)" is not supported');
    const imported = await f.gql(
      alice,
      'mutation($d: JSON!) { importConfig(kind: AUTOSELECTS, document: $d) { created } }',
      { d: { autoselect: { a3: config(['foo(?=bar)']) } } },
    );
    expect(imported.body.errors?.[0]?.message).toContain('"foo(?=bar)" is not supported');
  });

  it('the catastrophic pattern saves and the dry run answers in milliseconds', async () => {
    const saved = await f.gql(alice, 'mutation($c: JSON!) { upsertAutoselect(id: "evil", config: $c) { id } }', {
      c: config(['^(a+)+$']),
    });
    expect(saved.body.errors, saved.text).toBeUndefined();
    const started = performance.now();
    const evil = await f.trpc(alice, 'autoselects.dryRun', 'mutation', { id: 'evil', prompt: `${'a'.repeat(30)}!` });
    const elapsed = performance.now() - started;
    expect(evil.status, evil.text).toBe(200);
    expect(evil.data).toMatchObject({ route: 'user-provider/p/m', reason: 'fallback' });
    expect(elapsed).toBeLessThan(1000);
    const hit = await f.trpc(alice, 'autoselects.dryRun', 'mutation', { id: 'evil', prompt: 'a'.repeat(30) });
    expect(hit.data).toMatchObject({ route: 'user-provider/p/private', reason: 'privacy', findings: ['custom'] });
  });
});
