import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpRawRows, getConfigVersion, insertUsageEvents, loadSnapshot } from '@aisbf/db';
import { createServicesFixture, type ServicesFixture } from './services-fixture';
import { SEED_AUTOSELECTS_JSON, SEED_PROVIDERS, SEED_ROTATIONS_JSON } from './seed-documents';
import type { Actor } from '../services/actor';

const seedRotations = (): unknown => JSON.parse(SEED_ROTATIONS_JSON);
const seedAutoselects = (): unknown => JSON.parse(SEED_AUTOSELECTS_JSON);

/** The service suite; run once per dialect by services.<dialect>.int.test.ts (each file stays fast). */
export function defineServicesSuite(dialect: string, makeUrl: () => Promise<string>): void {
  describe(`control-plane services on ${dialect}`, () => {
    let f: ServicesFixture;
    let alice: Actor;
    let bob: Actor;

    beforeAll(async () => {
      f = await createServicesFixture(await makeUrl());
      alice = await f.user('alice');
      bob = await f.user('bob');
    });
    afterAll(async () => {
      await f?.close();
    });

    it('bootstraps the admin once, with the given password and a hashed token, never a default; sessions end on logout', async () => {
      const version = (await getConfigVersion(f.handle.db)).version;
      await expect(f.services.users.ensureAdmin({ password: 'other-password' })).resolves.toEqual({
        created: false,
        username: 'admin',
        tokenRegistered: false,
      });
      expect((await getConfigVersion(f.handle.db)).version).toBe(version);
      await expect(f.services.users.ensureAdmin({ token: 'not-a-token' })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
      await expect(f.services.auth.login({ username: 'admin', password: 'admin' })).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });
      const { user, sessionId } = await f.services.auth.login({ username: 'admin', password: 'admin-password-1' });
      expect(user.role).toBe('admin');
      const actor = await f.services.auth.authenticateSession(sessionId);
      expect(actor).toMatchObject({ username: 'admin', via: { kind: 'session' } });
      await f.services.auth.logout(actor);
      expect(await f.services.auth.authenticateSession(sessionId)).toBeNull();
    });

    it('generates a first admin password when none is given and returns it once', async () => {
      const { createServices } = await import('../services/create-services');
      const { createDatabase, migrateToLatest } = await import('@aisbf/db');
      const { createMemorySessionStore } = await import('../memory-session-store');
      const handle = createDatabase('sqlite::memory:');
      await migrateToLatest(handle.db);
      const services = createServices({
        db: handle.db,
        secretBox: f.secretBox,
        publisher: { publish: async () => undefined },
        jobs: { discoverModels: async () => ({ models: [], added: [], removed: [] }) },
        sessions: createMemorySessionStore(),
      });
      const result = await services.users.ensureAdmin();
      expect(result.created).toBe(true);
      expect(result.generatedPassword).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(result.generatedPassword).not.toBe('admin');
      await expect(
        services.auth.login({ username: 'admin', password: result.generatedPassword ?? '' }),
      ).resolves.toMatchObject({ user: { username: 'admin' } });
      await handle.close();
    });

    it('lets only admins manage users, with typed errors', async () => {
      await expect(f.services.users.create(alice, { username: 'mallory' })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(f.services.users.list(alice)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(f.services.users.create(f.admin, { username: 'alice' })).rejects.toMatchObject({
        code: 'CONFLICT',
        path: 'username',
      });
      await expect(f.services.users.create(f.admin, { username: 'Bad Name' })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        path: 'username',
      });
      const { user, password } = await f.services.users.create(f.admin, { username: 'carol' });
      expect(password).toBeDefined();
      await expect(f.services.auth.login({ username: 'carol', password: password ?? '' })).resolves.toMatchObject({
        user: { id: user.id },
      });
      expect(await f.services.users.delete(f.admin, { username: 'carol' })).toBe(true);
      await expect(f.services.users.delete(f.admin, { username: 'admin' })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
    });

    it('lets admins disable and promote users, users change only their own password', async () => {
      await expect(f.services.users.update(alice, { username: 'bob', disabled: true })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(f.services.users.update(alice, { username: 'alice', role: 'admin' })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(f.services.users.update(f.admin, { username: 'admin', role: 'user' })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
      const token = await f.services.tokens.create(f.admin, { owner: 'bob', name: 'b' });
      expect(await f.services.users.update(f.admin, { username: 'bob', disabled: true })).toMatchObject({
        username: 'bob',
        disabled: true,
      });
      expect(await f.services.auth.authenticateToken(token.token)).toBeNull();
      expect((await loadSnapshot(f.handle.db)).users.map((u) => u.username)).not.toContain('bob');
      await f.services.users.update(f.admin, { username: 'bob', disabled: false });
      expect(await f.services.auth.authenticateToken(token.token)).toMatchObject({ username: 'bob' });
      await f.services.users.update(f.admin, { username: 'alice', password: 'alice-first-password' });
      await f.services.users.update(alice, {
        username: 'alice',
        password: 'alice-new-password',
        currentPassword: 'alice-first-password',
      });
      await expect(f.services.auth.login({ username: 'alice', password: 'alice-new-password' })).resolves.toMatchObject(
        { user: { username: 'alice' } },
      );
    });

    it('rate-limits failed logins before checking the password', async () => {
      for (let i = 0; i < 2; i++)
        await expect(f.services.auth.login({ username: 'dave', password: 'guess' })).rejects.toMatchObject({
          code: 'UNAUTHENTICATED',
        });
      await expect(f.services.auth.login({ username: 'dave', password: 'guess' })).rejects.toMatchObject({
        code: 'RATE_LIMITED',
      });
    });

    it('shows a token once, stores only its hash, and revokes it', async () => {
      const created = await f.services.tokens.create(f.admin, { owner: 'alice', name: 'ci' });
      expect(created.token).toMatch(/^aisbf_/);
      expect(await f.services.auth.authenticateToken(created.token)).toMatchObject({
        userId: alice.userId,
        username: 'alice',
      });
      const listed = await f.services.tokens.list(alice);
      expect(JSON.stringify(listed)).not.toContain(created.token);
      expect(listed.find((t) => t.id === created.id)).toMatchObject({ name: 'ci', hint: created.hint, revoked: false });
      await expect(f.services.tokens.revoke(bob, { id: created.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await f.services.tokens.revoke(alice, { id: created.id })).toBe(true);
      expect(await f.services.auth.authenticateToken(created.token)).toBeNull();
      await expect(
        f.services.tokens.create(alice, { name: 'old', expiresAt: '2001-01-01T00:00:00Z' }),
      ).rejects.toMatchObject({ code: 'BAD_REQUEST', path: 'expiresAt' });
    });

    it('encrypts provider keys, shows hints only, keeps the key when omitted, and validates with paths', async () => {
      const view = await f.services.providers.upsert(alice, {
        input: {
          id: 'own-p',
          type: 'openai',
          endpoint: 'http://127.0.0.1:9/v1',
          apiKey: 'sk-own-secret-123456',
          models: ['m1'],
        },
      });
      expect(view).toMatchObject({
        id: 'own-p',
        scope: 'user',
        apiKeyHint: 'sk-…3456',
        models: [{ name: 'm1' }],
        health: { status: 'unknown' },
      });
      expect(JSON.stringify(view)).not.toContain('sk-own-secret');
      const kept = await f.services.providers.upsert(alice, {
        input: { id: 'own-p', type: 'openai', endpoint: 'http://127.0.0.1:9/v2' },
      });
      expect(kept).toMatchObject({
        apiKeyHint: 'sk-…3456',
        endpoint: 'http://127.0.0.1:9/v2',
        models: [{ name: 'm1' }],
      });
      await expect(
        f.services.providers.upsert(alice, { input: { id: 'bad', type: 'openai', endpoint: 'ftp://x' } }),
      ).rejects.toMatchObject({ code: 'BAD_REQUEST', path: 'endpoint' });
      await expect(
        f.services.providers.upsert(alice, { input: { id: 'Bad Id', type: 'openai', endpoint: 'http://x/v1' } }),
      ).rejects.toMatchObject({ code: 'BAD_REQUEST', path: 'id' });
      await expect(
        f.services.providers.upsert(alice, {
          input: { id: 'p2', type: 'openai', endpoint: 'http://x/v1', models: [{ name: 'm', context_window: -1 }] },
        }),
      ).rejects.toMatchObject({ path: 'models[0].context_window' });
    });

    it('keeps users to their own resources (typed FORBIDDEN) while admins act on anyone', async () => {
      await f.services.providers.upsert(f.admin, {
        owner: 'bob',
        input: { id: 'bobs', type: 'openai', endpoint: 'http://bob/v1' },
      });
      await expect(f.services.providers.list(alice, { owner: 'bob' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(
        f.services.providers.upsert(alice, {
          owner: 'bob',
          input: { id: 'x', type: 'openai', endpoint: 'http://x/v1' },
        }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(f.services.rotations.list(alice, { owner: 'bob' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(f.services.config.export(alice, { owner: 'bob' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(
        f.services.providers.upsert(alice, {
          owner: 'GLOBAL',
          input: { id: 'g', type: 'openai', endpoint: 'http://g/v1' },
        }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect((await f.services.providers.list(bob)).map((p) => p.id)).toContain('bobs');
      expect((await f.services.providers.list(alice)).map((p) => p.id)).not.toContain('bobs');
      await expect(f.services.providers.list(f.admin, { owner: 'nobody' })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    });

    it('imports the seed documents verbatim for alice (the acceptance path) and serves her routes', async () => {
      for (const p of SEED_PROVIDERS) await f.services.providers.upsert(f.admin, { owner: 'alice', input: p });
      const rotations = await f.services.config.import(f.admin, {
        owner: 'alice',
        kind: 'rotations',
        document: seedRotations(),
      });
      expect(rotations).toEqual({ created: ['coding-production'], updated: [], warnings: [] });
      const autoselects = await f.services.config.import(f.admin, {
        owner: 'alice',
        kind: 'autoselects',
        document: seedAutoselects(),
      });
      expect(autoselects.created).toEqual(['engineering']);
      expect(autoselects.warnings).toEqual([
        { path: 'engineering.selection_model', message: expect.stringContaining('"general" does not exist') },
      ]);
      const routes = await f.services.system.routes(alice);
      expect(routes).toEqual(
        expect.arrayContaining([
          'user-rotation/coding-production',
          'user-autoselect/engineering',
          'user-provider/runpod-gpu-a/deepseek-coder-v2',
        ]),
      );
      const stored = await f.services.rotations.list(alice);
      expect(JSON.stringify(stored.find((r) => r.id === 'coding-production')?.config)).toBe(
        JSON.stringify(JSON.parse(SEED_ROTATIONS_JSON).rotations['coding-production']),
      );
      const snapshot = await loadSnapshot(f.handle.db);
      expect(
        snapshot.rotations.find((r) => r.ownerId === alice.userId && r.id === 'coding-production')?.config.providers,
      ).toHaveLength(3);
      expect(await f.services.system.routes(bob)).not.toContain('user-rotation/coding-production');
    });

    it('rejects a rotation naming an unknown provider with the path, writing nothing', async () => {
      const before = (await getConfigVersion(f.handle.db)).version;
      const changes = f.changes.length;
      const document = {
        rotations: {
          broken: {
            providers: [
              { provider_id: 'coderai-local', model: 'qwen2.5-coder:32b' },
              { provider_id: 'nope', model: 'x' },
            ],
          },
          fine: { providers: [{ provider_id: 'openai-prod', model: 'gpt-4.1-mini' }] },
        },
      };
      await expect(
        f.services.config.import(f.admin, { owner: 'bob', kind: 'rotations', document }),
      ).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        path: 'rotations.broken.providers[0].provider_id',
        issues: [
          { path: 'rotations.broken.providers[0].provider_id', message: 'provider "coderai-local" does not exist' },
          { path: 'rotations.broken.providers[1].provider_id', message: 'provider "nope" does not exist' },
          { path: 'rotations.fine.providers[0].provider_id', message: 'provider "openai-prod" does not exist' },
        ],
      });
      expect(await f.services.rotations.list(bob)).toEqual([]);
      expect((await getConfigVersion(f.handle.db)).version).toBe(before);
      expect(f.changes.length).toBe(changes);
      await f.services.providers.upsert(f.admin, {
        owner: 'GLOBAL',
        input: { id: 'staff-only', type: 'openai', endpoint: 'http://staff/v1', adminOnly: true },
      });
      await expect(
        f.services.rotations.upsert(alice, {
          id: 'r-staff',
          config: { providers: [{ provider_id: 'staff-only', model: 'm' }] },
        }),
      ).rejects.toMatchObject({ path: 'providers[0].provider_id' });
      await expect(
        f.services.rotations.upsert(f.admin, {
          id: 'r-staff',
          config: { providers: [{ provider_id: 'staff-only', model: 'm' }] },
        }),
      ).resolves.toMatchObject({ id: 'r-staff' });
      await expect(
        f.services.rotations.upsert(alice, {
          id: 'r2',
          config: { providers: [{ provider_id: 'coderai-local', model: 'missing-model' }] },
        }),
      ).rejects.toMatchObject({ path: 'providers[0].model' });
      await expect(
        f.services.rotations.upsert(alice, {
          id: 'r3',
          config: { providers: [{ provider_id: 'coderai-local', model: 'qwen2.5-coder:32b', weight: -1 }] },
        }),
      ).rejects.toMatchObject({ path: 'providers[0].weight' });
      await expect(
        f.services.autoselects.upsert(alice, {
          id: 'a2',
          config: {
            fallback: 'user-rotation/nope',
            classify_semantic: false,
            available_models: [{ model_id: 'user-rotation/coding-production' }],
          },
        }),
      ).rejects.toMatchObject({ path: 'fallback' });
    });

    it('publishes one change per committed write with a rising version', async () => {
      const start = f.changes.length;
      const a = await f.services.rotations.upsert(alice, {
        id: 'pub',
        config: { providers: [{ provider_id: 'openai-prod', model: 'gpt-4.1-mini' }] },
      });
      expect(a.scope).toBe('user');
      await f.services.rotations.delete(alice, { id: 'pub' });
      const published = f.changes.slice(start);
      expect(published.map((c) => [c.kind, c.id, c.op])).toEqual([
        ['rotation', 'pub', 'upsert'],
        ['rotation', 'pub', 'delete'],
      ]);
      expect(published[1]!.version).toBe(published[0]!.version + 1);
      expect((await getConfigVersion(f.handle.db)).version).toBe(published[1]!.version);
    });

    it('exports without keys and re-imports into an empty instance with the same routing', async () => {
      const exported = await f.services.config.export(f.admin, { owner: 'alice' });
      const text = JSON.stringify(exported);
      for (const p of SEED_PROVIDERS) expect(text).not.toContain(p.apiKey);
      const other = await createServicesFixture('sqlite::memory:');
      try {
        await other.user('alice');
        await other.services.config.import(other.admin, {
          owner: 'alice',
          kind: 'providers',
          document: exported.providers,
        });
        await other.services.config.import(other.admin, {
          owner: 'alice',
          kind: 'rotations',
          document: exported.rotations,
        });
        await other.services.config.import(other.admin, {
          owner: 'alice',
          kind: 'autoselects',
          document: exported.autoselects,
        });
        const routing = async (fx: ServicesFixture) => {
          const snap = await loadSnapshot(fx.handle.db);
          const user = snap.users.find((u) => u.username === 'alice');
          return {
            providers: snap.providers
              .filter((p) => p.ownerId === user?.id)
              .map(({ ownerId: _o, apiKeyEnc: _k, ...rest }) => rest),
            rotations: snap.rotations.filter((r) => r.ownerId === user?.id).map((r) => [r.id, r.config]),
            autoselects: snap.autoselects.filter((a) => a.ownerId === user?.id).map((a) => [a.id, a.config]),
          };
        };
        expect(await routing(other)).toEqual(await routing(f));
      } finally {
        await other.close();
      }
    });

    it('discovers models through the job runner and tests a provider', async () => {
      const server: Server = createServer((req, res) => {
        if (req.headers.authorization !== 'Bearer sk-disc-key-0001') res.writeHead(401).end('{}');
        else
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ data: [{ id: 'm1' }, { id: 'm2' }] }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
        await f.services.providers.upsert(alice, {
          input: { id: 'disc', type: 'openai', endpoint: base, apiKey: 'sk-disc-key-0001', models: ['m0'] },
        });
        await expect(f.services.providers.discoverModels(alice, { id: 'disc' })).resolves.toEqual({
          models: ['m1', 'm2'],
          added: ['m1', 'm2'],
          removed: ['m0'],
        });
        await expect(f.services.providers.discoverModels(bob, { id: 'disc' })).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
        await expect(f.services.providers.test(alice, { id: 'disc' })).resolves.toMatchObject({
          ok: true,
          status: 200,
        });
        expect((await f.services.providers.list(alice)).find((p) => p.id === 'disc')?.health.status).toBe('healthy');
        await f.services.providers.upsert(alice, {
          input: { id: 'disc', type: 'openai', endpoint: base, apiKey: 'sk-wrong-key-0001' },
        });
        await expect(f.services.providers.test(alice, { id: 'disc' })).resolves.toMatchObject({
          ok: false,
          status: 401,
        });
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('scopes usage to the caller unless admin', async () => {
      const base = {
        requestId: 'r',
        at: Date.now() - 1000,
        tokenId: null,
        providerOwnerId: null,
        provider: 'p',
        model: 'm',
        endpoint: 'chat.completions' as const,
        stream: false,
        status: 200,
        outcome: 'ok' as const,
        promptTokens: 3,
        completionTokens: 4,
        estimated: false,
        latencyMs: 5,
        ttfbMs: null,
        attempts: [],
      };
      await insertUsageEvents(f.handle.db, [
        { ...base, id: `ua-${alice.userId}`, userId: alice.userId, route: 'user-rotation/coding-production' },
        { ...base, id: `ub-${bob.userId}`, userId: bob.userId, route: 'rotation/x' },
      ]);
      await expect(f.services.usage.query(alice, { user: 'bob' })).rejects.toMatchObject({
        code: 'FORBIDDEN',
        path: 'user',
      });
      const mine = await f.services.usage.query(alice, { groupBy: 'route', user: 'alice' });
      expect(mine.totals.requests).toBe(1);
      // The event has no cost: an unpriced served request (docs/usage.md), not a 0.
      expect(mine.groups).toEqual([
        {
          key: 'user-rotation/coding-production',
          requests: 1,
          errors: 0,
          promptTokens: 3,
          completionTokens: 4,
          costMicros: null,
          unpricedRequests: 1,
        },
      ]);
      const all = await f.services.usage.query(f.admin, { groupBy: 'user' });
      expect(all.groups.map((g) => g.key).sort()).toEqual(['alice', 'bob']);
      expect((await f.services.usage.query(f.admin, { user: 'bob' })).totals.requests).toBe(1);
      const overview = await f.services.system.overview(f.admin);
      expect(overview).toMatchObject({
        mode: 'all-in-one',
        configVersion: (await getConfigVersion(f.handle.db)).version,
        nodes: [],
      });
    });

    it('pages requests newest first with their attempts trail, filtered, and only the caller’s own', async () => {
      const at = Date.now() - 60_000;
      const event = (i: number, userId: string, status: number) => ({
        id: `req-${userId}-${String(i).padStart(3, '0')}`,
        requestId: `rq${i}`,
        at: at + (i % 4) * 1000,
        userId,
        tokenId: null,
        providerOwnerId: null,
        route: i % 2 === 0 ? 'user-rotation/even' : 'user-rotation/odd',
        provider: status === 200 ? 'lan' : null,
        model: status === 200 ? 'm' : null,
        endpoint: 'chat.completions' as const,
        stream: true,
        status,
        outcome: status === 200 ? ('ok' as const) : ('error' as const),
        promptTokens: 1,
        completionTokens: 1,
        estimated: false,
        latencyMs: 10,
        ttfbMs: 5,
        attempts: [
          { provider: 'flaky', model: 'm', status: 503, outcome: 'error' as const, latencyMs: 3 },
          ...(status === 200
            ? [{ provider: 'lan', model: 'm', status: 200, outcome: 'ok' as const, latencyMs: 7 }]
            : []),
        ],
        ...(i === 1 && userId === alice.userId ? { condensed: 'sliding_window; 9000->3000' } : {}),
      });
      await insertUsageEvents(f.handle.db, [
        ...Array.from({ length: 7 }, (_, i) => event(i, alice.userId, i === 3 ? 502 : 200)),
        event(0, bob.userId, 200),
      ]);
      const window = { from: new Date(at - 1), to: new Date(at + 10_000) };
      // Keyset pages of 3 walk alice's 7 rows once each, newest first, and stop.
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 5; page++) {
        const result = await f.services.usage.requests(alice, {
          limit: 3,
          ...window,
          ...(cursor === undefined ? {} : { cursor }),
        });
        seen.push(...result.rows.map((r) => r.id));
        if (result.nextCursor === null) break;
        cursor = result.nextCursor;
      }
      expect(seen).toHaveLength(7);
      expect(new Set(seen).size).toBe(7);
      expect(seen.every((id) => id.includes(alice.userId))).toBe(true);
      // The newest is the failed one (i = 3): one attempt, nothing served.
      const first = await f.services.usage.requests(alice, { limit: 1, ...window });
      expect(first.rows[0]).toMatchObject({ username: 'alice', cacheHit: false, status: 502, provider: null });
      expect(first.rows[0]!.attempts.map((a) => [a.provider, a.status])).toEqual([['flaky', 503]]);
      const served = await f.services.usage.requests(alice, { limit: 1, status: 'ok', ...window });
      expect(served.rows[0]!.attempts.map((a) => [a.provider, a.status])).toEqual([
        ['flaky', 503],
        ['lan', 200],
      ]);
      const failed = await f.services.usage.requests(alice, { status: 'error', ...window });
      expect(failed.rows.map((r) => r.status)).toEqual([502]);
      const odd = await f.services.usage.requests(alice, { route: 'user-rotation/odd', ...window });
      expect(odd.rows).toHaveLength(3);
      // A condensed prompt's summary (docs/context.md "Condensation") comes back with its row only.
      const all = await f.services.usage.requests(alice, window);
      expect(all.rows.filter((r) => r.condensed !== null).map((r) => [r.id, r.condensed])).toEqual([
        [`req-${alice.userId}-001`, 'sliding_window; 9000->3000'],
      ]);
      await expect(f.services.usage.requests(alice, { user: 'bob' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      const bobs = await f.services.usage.requests(f.admin, { user: 'bob', ...window });
      expect(bobs.rows.map((r) => r.username)).toEqual(['bob']);
      await expect(f.services.usage.requests(alice, { cursor: 'DROP TABLE' })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
    });

    it("counts in the overview's provider health exactly the providers the actor's list shows", async () => {
      const alicesProviders = await f.services.providers.list(alice, {});
      expect(alicesProviders.filter((p) => p.scope !== 'global').length).toBeGreaterThan(0);
      for (const actor of [f.admin, alice]) {
        const listed = await f.services.providers.list(actor, {});
        const overview = await f.services.system.overview(actor);
        expect(overview.providers.total, actor.username).toBe(listed.length);
      }
      // The admin's overview no longer counts alice's providers, which the admin's page does not list.
      const adminListed = await f.services.providers.list(f.admin, {});
      expect(adminListed.map((p) => p.scope)).not.toContain('alice');
    });

    it('stores no plaintext secret anywhere in the database', async () => {
      const token = await f.services.tokens.create(alice, { name: 'raw' });
      const dump = JSON.stringify(await dumpRawRows(f.handle.db));
      expect(dump).not.toContain(token.token);
      expect(dump).not.toContain(f.adminToken);
      for (const p of SEED_PROVIDERS) expect(dump).not.toContain(p.apiKey);
    });
  });
}
