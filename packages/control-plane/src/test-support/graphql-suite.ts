import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findUserByUsername, insertUsageEvents, loadSnapshot } from '@aisbf/db';
import { hashApiToken } from '@aisbf/secrets';
import { createControlPlaneFixture, FIXTURE_ADMIN_TOKEN, type ControlPlaneFixture } from './control-plane-fixture';
import { SEED_AUTOSELECTS_JSON, SEED_PROVIDERS, SEED_ROTATIONS_JSON } from './seed-documents';

const CREATE_USER = 'mutation($u: String!) { createUser(username: $u) { id username role } }';
const CREATE_TOKEN =
  'mutation($owner: String, $name: String!) { createApiToken(owner: $owner, name: $name) { id token } }';
export const UPSERT_PROVIDER =
  'mutation($owner: String, $input: ProviderInput!) { upsertProvider(owner: $owner, input: $input) { id scope apiKeyHint models { name } } }';
const IMPORT =
  'mutation($owner: String, $kind: ConfigKind!, $doc: JSON!) { importConfig(owner: $owner, kind: $kind, document: $doc) { created updated warnings { path message } } }';

/** The GraphQL suite; run once per dialect (graphql.<dialect>.int.test.ts keeps each file fast). */
export function defineGraphqlSuite(dialect: string, makeUrl: () => Promise<string>): void {
  describe(`GraphQL on ${dialect}`, () => {
    let f: ControlPlaneFixture;
    let aliceToken = '';

    beforeAll(async () => {
      f = await createControlPlaneFixture(await makeUrl());
    });
    afterAll(async () => {
      await f?.close();
    });

    it('runs the acceptance script with only the admin token', async () => {
      const alice = await f.gql(FIXTURE_ADMIN_TOKEN, CREATE_USER, { u: 'alice' });
      expect(alice).toEqual({ data: { createUser: { id: expect.any(String), username: 'alice', role: 'USER' } } });
      await f.gql(FIXTURE_ADMIN_TOKEN, CREATE_USER, { u: 'bob' });
      const token = await f.gql(FIXTURE_ADMIN_TOKEN, CREATE_TOKEN, { owner: 'alice', name: 'app' });
      aliceToken = String((token.data?.['createApiToken'] as { token: string }).token);
      expect(aliceToken).toMatch(/^aisbf_/);
      for (const p of SEED_PROVIDERS) {
        const r = await f.gql(FIXTURE_ADMIN_TOKEN, UPSERT_PROVIDER, { owner: 'alice', input: p });
        expect(r.errors).toBeUndefined();
        expect(JSON.stringify(r)).not.toContain(p.apiKey);
      }
      const rotations = await f.gql(FIXTURE_ADMIN_TOKEN, IMPORT, {
        owner: 'alice',
        kind: 'ROTATIONS',
        doc: JSON.parse(SEED_ROTATIONS_JSON),
      });
      expect(rotations.data?.['importConfig']).toEqual({ created: ['coding-production'], updated: [], warnings: [] });
      const autoselects = await f.gql(FIXTURE_ADMIN_TOKEN, IMPORT, {
        owner: 'alice',
        kind: 'AUTOSELECTS',
        doc: JSON.parse(SEED_AUTOSELECTS_JSON),
      });
      expect(autoselects.data?.['importConfig']).toMatchObject({ created: ['engineering'] });

      const mine = await f.gql(aliceToken, '{ me { username } rotations { id scope } routes }');
      expect(mine.data?.['me']).toEqual({ username: 'alice' });
      expect(mine.data?.['rotations']).toEqual([{ id: 'coding-production', scope: 'USER' }]);
      expect(mine.data?.['routes']).toEqual(
        expect.arrayContaining(['user-rotation/coding-production', 'user-autoselect/engineering']),
      );
      // What the data plane serves from: alice's token hash and her rotation are in the snapshot.
      const snapshot = await loadSnapshot(f.handle.db);
      const aliceId = snapshot.users.find((u) => u.username === 'alice')?.id;
      expect(snapshot.tokens.some((t) => t.userId === aliceId && t.hash === hashApiToken(aliceToken))).toBe(true);
      expect(snapshot.rotations.some((r) => r.ownerId === aliceId && r.id === 'coding-production')).toBe(true);
    });

    it("gives alice a typed FORBIDDEN on bob's resources and on admin operations", async () => {
      const reads = await f.gql(aliceToken, '{ providers(owner: "bob") { id } }');
      expect(reads.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', path: 'owner' });
      const writes = await f.gql(
        aliceToken,
        'mutation { upsertRotation(owner: "bob", id: "x", config: {providers: [{provider_id: "p", model: "m"}]}) { id } }',
      );
      expect(writes.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
      const admin = await f.gql(aliceToken, CREATE_USER, { u: 'mallory' });
      expect(admin.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
      const anon = await f.gql(null, '{ me { id } }');
      expect(anon.data).toEqual({ me: null });
      const anonList = await f.gql(null, '{ providers { id } }');
      expect(anonList.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    });

    it('reports validation problems with code, path and issues', async () => {
      const bad = await f.gql(aliceToken, 'mutation($c: JSON!) { upsertRotation(id: "r", config: $c) { id } }', {
        c: { providers: [{ provider_id: 'ghost', model: 'm' }] },
      });
      expect(bad.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_REQUEST',
        path: 'providers[0].provider_id',
        issues: [{ path: 'providers[0].provider_id', message: 'provider "ghost" does not exist' }],
      });
      const doc = await f.gql(aliceToken, IMPORT, {
        kind: 'ROTATIONS',
        doc: { rotations: { 'Bad Id': { providers: [] } } },
      });
      expect(doc.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_REQUEST', path: 'rotations.Bad Id' });
      const syntax = await f.gql(aliceToken, '{ nope }');
      expect(syntax.errors?.[0]?.message).toContain('nope');
    });

    it('never returns a token or key again: lists show hints only', async () => {
      const listed = await f.gql(
        FIXTURE_ADMIN_TOKEN,
        '{ apiTokens(owner: "alice") { id hint revoked } providers(owner: "alice") { id apiKeyHint } exportConfig(owner: "alice") { providers } }',
      );
      const text = JSON.stringify(listed);
      expect(text).not.toContain(aliceToken);
      for (const p of SEED_PROVIDERS) expect(text).not.toContain(p.apiKey);
      expect((listed.data?.['apiTokens'] as unknown[]).length).toBe(1);
    });

    it('lists usage groups up to groupLimit in groupOrder and sums the rest into others', async () => {
      const admin = await findUserByUsername(f.handle.db, 'admin');
      const base = {
        requestId: 'r',
        at: Date.now() - 1000,
        userId: admin!.id,
        tokenId: null,
        providerOwnerId: null,
        provider: 'p',
        model: 'm',
        endpoint: 'chat.completions' as const,
        stream: false,
        status: 200,
        outcome: 'ok' as const,
        completionTokens: 0,
        estimated: false,
        latencyMs: 5,
        ttfbMs: null,
        attempts: [],
      };
      // Route r-k: k requests; the fewer requests, the more tokens, so the two orders differ.
      const tokensEach: Record<number, number> = { 1: 100, 2: 30, 4: 10 };
      await insertUsageEvents(
        f.handle.db,
        [1, 2, 4].flatMap((k) =>
          Array.from({ length: k }, (_, i) => ({
            ...base,
            id: `gq-${k}-${i}`,
            route: `r-${k}`,
            promptTokens: tokensEach[k]!,
          })),
        ),
      );
      const query =
        'query($o: UsageGroupOrder, $n: Int) { usage(groupBy: ROUTE, groupOrder: $o, groupLimit: $n) { groups { key requests promptTokens } others { count requests promptTokens } } }';
      const byRequests = await f.gql(FIXTURE_ADMIN_TOKEN, query, { o: 'REQUESTS', n: 2 });
      expect(byRequests.data?.['usage']).toEqual({
        groups: [
          { key: 'r-4', requests: 4, promptTokens: 40 },
          { key: 'r-2', requests: 2, promptTokens: 60 },
        ],
        others: { count: 1, requests: 1, promptTokens: 100 },
      });
      const byTokens = await f.gql(FIXTURE_ADMIN_TOKEN, query, { o: 'TOKENS', n: 1 });
      expect(byTokens.data?.['usage']).toEqual({
        groups: [{ key: 'r-1', requests: 1, promptTokens: 100 }],
        others: { count: 2, requests: 6, promptTokens: 100 },
      });
      const all = await f.gql(FIXTURE_ADMIN_TOKEN, query, {});
      expect(all.data?.['usage']).toMatchObject({ others: null });
      const tooMany = await f.gql(FIXTURE_ADMIN_TOKEN, query, { n: 501 });
      expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_REQUEST', path: 'groupLimit' });
    });

    it('exportConfig then importConfig into an empty instance reproduces the routing', async () => {
      const exported = await f.gql(
        FIXTURE_ADMIN_TOKEN,
        '{ exportConfig(owner: "alice") { providers rotations autoselects } }',
      );
      const docs = exported.data?.['exportConfig'] as { providers: unknown; rotations: unknown; autoselects: unknown };
      const other = await createControlPlaneFixture('sqlite::memory:');
      try {
        await other.insertUser('alice');
        for (const [kind, doc] of [
          ['PROVIDERS', docs.providers],
          ['ROTATIONS', docs.rotations],
          ['AUTOSELECTS', docs.autoselects],
        ] as const) {
          const r = await other.gql(FIXTURE_ADMIN_TOKEN, IMPORT, { owner: 'alice', kind, doc });
          expect(r.errors).toBeUndefined();
        }
        const routing = async (fx: ControlPlaneFixture) => {
          const snap = await loadSnapshot(fx.handle.db);
          const id = snap.users.find((u) => u.username === 'alice')?.id;
          return {
            providers: snap.providers
              .filter((p) => p.ownerId === id)
              .map(({ ownerId: _o, apiKeyEnc: _k, ...rest }) => rest),
            rotations: snap.rotations.filter((r) => r.ownerId === id).map((r) => [r.id, r.config]),
            autoselects: snap.autoselects.filter((a) => a.ownerId === id).map((a) => [a.id, a.config]),
          };
        };
        const original = await routing(f);
        expect(original.rotations).toHaveLength(1);
        expect(await routing(other)).toEqual(original);
      } finally {
        await other.close();
      }
    });
  });
}
