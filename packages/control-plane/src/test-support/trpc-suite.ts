import { secretHint } from '@aisbf/secrets';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlPlaneFixture, FIXTURE_ADMIN_TOKEN, type ControlPlaneFixture } from './control-plane-fixture';
import { SEED_AUTOSELECTS_JSON, SEED_PROVIDERS, SEED_ROTATIONS_JSON } from './seed-documents';
import type { Actor } from '../services/actor';
import { appRouter } from '../trpc/app.router';
import { createCallerFactory } from '../trpc/trpc';

const createCaller = createCallerFactory(appRouter);

/** The tRPC suite through createCaller; run once per dialect (trpc.<dialect>.int.test.ts keeps each file fast). */
export function defineTrpcSuite(dialect: string, makeUrl: () => Promise<string>): void {
  describe(`tRPC on ${dialect}`, () => {
    let f: ControlPlaneFixture;
    let admin: Actor;
    let alice: Actor;
    const cookies: Array<string | null> = [];
    const caller = (actor: Actor | null) =>
      createCaller({ actor, services: f.cp.services, setSessionCookie: (id) => void cookies.push(id) });

    beforeAll(async () => {
      f = await createControlPlaneFixture(await makeUrl());
      const a = await f.cp.services.auth.authenticateToken(FIXTURE_ADMIN_TOKEN);
      if (a === null) throw new Error('admin token does not authenticate');
      admin = a;
      await f.insertUser('bob');
    });
    afterAll(async () => {
      await f?.close();
    });

    it('logs in with a session cookie, answers me, and logs out', async () => {
      const { user } = await caller(null).auth.login({ username: 'admin', password: 'fixture-admin-password' });
      expect(user).toMatchObject({
        username: 'admin',
        role: 'admin',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      const sessionId = cookies.at(-1);
      expect(sessionId).toEqual(expect.any(String));
      const session = await f.cp.services.auth.authenticateSession(sessionId ?? '');
      expect(await caller(session).auth.me()).toMatchObject({ username: 'admin' });
      expect(await caller(session).auth.logout()).toEqual({ ok: true });
      expect(cookies.at(-1)).toBeNull();
      expect(await f.cp.services.auth.authenticateSession(sessionId ?? '')).toBeNull();
      expect(await caller(null).auth.me()).toBeNull();
      await expect(caller(null).auth.login({ username: 'admin', password: 'wrong' })).rejects.toMatchObject({
        code: 'UNAUTHORIZED',
      });
    });

    it('drives the dashboard flows: users, tokens, providers, routes, import/export, usage, overview', async () => {
      const a = caller(admin);
      const created = await a.users.create({ username: 'alice' });
      expect(created.password).toEqual(expect.any(String));
      alice = { userId: created.user.id, username: 'alice', role: 'user', via: { kind: 'system' } };
      expect((await a.users.list()).map((u) => u.username)).toEqual(['admin', 'alice', 'bob']);
      const token = await a.tokens.create({ owner: 'alice', name: 'laptop', expiresAt: '2099-01-01T00:00:00.000Z' });
      expect(token).toMatchObject({
        name: 'laptop',
        expiresAt: '2099-01-01T00:00:00.000Z',
        token: expect.stringMatching(/^aisbf_/),
      });
      const me = caller(alice);
      expect(await me.tokens.list()).toEqual([
        {
          id: token.id,
          name: 'laptop',
          hint: token.hint,
          createdAt: expect.any(String),
          expiresAt: '2099-01-01T00:00:00.000Z',
          lastUsedAt: null,
          revoked: false,
          limits: null,
        },
      ]);
      // A token's own limits, as the tokens page edits them (docs/dashboard.md).
      expect((await me.tokens.setLimits({ id: token.id, limits: { requestsPerMinute: 10 } })).limits).toEqual({
        requestsPerMinute: 10,
      });
      await me.tokens.setLimits({ id: token.id, limits: null });
      for (const p of SEED_PROVIDERS) await me.providers.upsert({ input: p });
      const providers = await me.providers.list();
      expect(providers.map((p) => [p.id, p.scope, p.apiKeyHint])).toEqual(
        SEED_PROVIDERS.map((p) => [p.id, 'user', secretHint(p.apiKey)]).sort(),
      );
      expect(JSON.stringify(providers)).not.toContain(SEED_PROVIDERS[0]!.apiKey);
      expect(await me.config.import({ kind: 'rotations', document: JSON.parse(SEED_ROTATIONS_JSON) })).toMatchObject({
        created: ['coding-production'],
      });
      expect(
        await me.config.import({ kind: 'autoselects', document: JSON.parse(SEED_AUTOSELECTS_JSON) }),
      ).toMatchObject({ created: ['engineering'] });
      expect(await me.routes.list()).toEqual(
        expect.arrayContaining(['user-rotation/coding-production', 'user-autoselect/engineering']),
      );
      expect((await me.rotations.list()).map((r) => r.id)).toEqual(['coding-production']);
      const exported = await me.config.export();
      expect(Object.keys(exported.rotations['rotations'] as object)).toEqual(['coding-production']);
      expect(
        await me.autoselects.dryRun({
          id: 'engineering',
          prompt: 'my key is AKIAIOSFODNN7EXAMPLE and password=hunter2hunter2',
        }),
      ).toMatchObject({
        route: 'user-rotation/coding-production',
        reason: 'privacy',
        findings: expect.arrayContaining([expect.any(String)]),
      });
      expect(await me.autoselects.dryRun({ id: 'engineering', prompt: 'write a haiku about autumn' })).toEqual({
        route: 'user-rotation/coding-production',
        reason: 'fallback',
        findings: [],
      });
      expect(await me.usage.query({ groupBy: 'route' })).toMatchObject({
        totals: { requests: 0 },
        groups: [],
        recent: [],
      });
      // Each overview counts the providers its viewer's list shows: alice's three, none of them the admin's.
      expect(await me.system.overview()).toMatchObject({ mode: 'all-in-one', providers: { total: 3 }, nodes: [] });
      expect(await a.system.overview()).toMatchObject({
        providers: { total: (await a.providers.list({})).length },
        nodes: [],
      });
      expect(await me.rotations.delete({ id: 'coding-production' }).catch((e: unknown) => e)).toEqual({ ok: true });
    });

    it('answers with tRPC codes: UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, BAD_REQUEST', async () => {
      await expect(caller(null).providers.list()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
      await expect(caller(alice).providers.list({ owner: 'bob' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(caller(alice).users.list()).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(caller(alice).providers.delete({ id: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(caller(admin).users.create({ username: 'alice', password: 'long-enough' })).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      const error = await caller(alice)
        .rotations.upsert({ id: 'r', config: { providers: [{ provider_id: 'ghost', model: 'm' }] } })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCError);
      expect(error).toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringContaining('providers[0].provider_id'),
      });
    });

    it('sends field issues in error.data over HTTP and masks internals', async () => {
      const token = await caller(alice).tokens.create({ name: 'http' });
      const response = await f.cp.fetch(
        new Request('http://cp.test/trpc/rotations.upsert', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token.token}` },
          body: JSON.stringify({
            id: 'r',
            config: { providers: [{ provider_id: 'coderai-local', model: 'qwen2.5-coder:32b', weight: -2 }] },
          }),
        }),
      );
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { message: string; data: Record<string, unknown> } };
      expect(body.error.data).toMatchObject({
        code: 'BAD_REQUEST',
        httpStatus: 400,
        issues: [{ path: 'providers[0].weight', message: 'weight must be >= 0' }],
        fieldPath: 'providers[0].weight',
      });
      expect(body.error.data['stack']).toBeUndefined();
    });
  });
}
