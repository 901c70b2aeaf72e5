import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createControlPlaneFixture,
  FIXTURE_ADMIN_TOKEN,
  type ControlPlaneFixture,
} from './test-support/control-plane-fixture';

/** Raw HTTP (no URL normalisation by a client), so traversal attempts reach the server as sent. */
function raw(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('control plane over HTTP', () => {
  let f: ControlPlaneFixture;
  let server: Server;
  let port = 0;
  const dir = mkdtempSync(join(tmpdir(), 'aisbf-dash-'));

  beforeAll(async () => {
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>aisbf</title>');
    mkdirSync(join(dir, '_app', 'immutable'), { recursive: true });
    writeFileSync(join(dir, '_app', 'immutable', 'app.js'), 'console.log(1)');
    f = await createControlPlaneFixture('sqlite::memory:', { dashboardDir: dir, maxBodyBytes: 10_000 });
    server = createServer((req, res) => f.cp.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await f?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves /healthz, the dashboard with an SPA fallback, and never a file outside it', async () => {
    expect(await raw(port, 'GET', '/healthz')).toMatchObject({ status: 200, text: '{"status":"ok"}' });
    const index = await raw(port, 'GET', '/');
    expect(index).toMatchObject({ status: 200, text: expect.stringContaining('<title>aisbf</title>') });
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(await raw(port, 'GET', '/providers/coderai-local')).toMatchObject({
      status: 200,
      text: expect.stringContaining('<title>aisbf</title>'),
    });
    const asset = await raw(port, 'GET', '/_app/immutable/app.js');
    expect(asset).toMatchObject({ status: 200, text: 'console.log(1)' });
    expect(asset.headers['content-type']).toContain('text/javascript');
    expect(asset.headers['cache-control']).toContain('immutable');
    for (const path of ['/..%2f..%2f..%2fetc%2fpasswd', '/../../../etc/passwd', '/%2e%2e/%2e%2e/etc/hostname']) {
      const r = await raw(port, 'GET', path);
      expect(r.text).not.toMatch(/root:|^[a-z0-9-]+\n$/);
      expect(r.text).toContain('<title>aisbf</title>');
    }
  });

  it('logs in over tRPC with an HttpOnly, SameSite=Lax cookie (Secure behind TLS) and uses it', async () => {
    const login = await raw(
      port,
      'POST',
      '/trpc/auth.login',
      { 'content-type': 'application/json' },
      JSON.stringify({ username: 'admin', password: 'fixture-admin-password' }),
    );
    expect(login.status).toBe(200);
    const cookie = String(login.headers['set-cookie']?.[0]);
    expect(cookie).toMatch(/^aisbf_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
    const me = await raw(port, 'GET', '/trpc/auth.me', { cookie: cookie.split(';')[0] ?? '' });
    expect(JSON.parse(me.text)).toMatchObject({ result: { data: { username: 'admin', role: 'admin' } } });
    const tls = await raw(
      port,
      'POST',
      '/trpc/auth.login',
      { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
      JSON.stringify({ username: 'admin', password: 'fixture-admin-password' }),
    );
    expect(String(tls.headers['set-cookie']?.[0])).toMatch(/; Secure$/);
    const wrong = await raw(
      port,
      'POST',
      '/trpc/auth.login',
      { 'content-type': 'application/json' },
      JSON.stringify({ username: 'admin', password: 'nope' }),
    );
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it('answers GraphQL with a bearer token, refuses oversized bodies and unknown API paths', async () => {
    const gql = await raw(
      port,
      'POST',
      '/graphql',
      { 'content-type': 'application/json', authorization: `Bearer ${FIXTURE_ADMIN_TOKEN}` },
      JSON.stringify({ query: '{ me { username role } }' }),
    );
    expect(JSON.parse(gql.text)).toEqual({ data: { me: { username: 'admin', role: 'ADMIN' } } });
    const big = await raw(
      port,
      'POST',
      '/graphql',
      { 'content-type': 'application/json' },
      JSON.stringify({ query: 'x'.repeat(20_000) }),
    );
    expect(big.status).toBe(413);
    expect(JSON.parse(big.text)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    const unknown = await raw(port, 'POST', '/nothing', { 'content-type': 'application/json' }, '{}');
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/json');
  });

  it('pages users over GraphQL (userPage) and names a bad page size in extensions', async () => {
    const ask = async (query: string) =>
      JSON.parse(
        (
          await raw(
            port,
            'POST',
            '/graphql',
            { 'content-type': 'application/json', authorization: `Bearer ${FIXTURE_ADMIN_TOKEN}` },
            JSON.stringify({ query }),
          )
        ).text,
      ) as { data: unknown; errors?: Array<{ extensions: Record<string, unknown> }> };
    expect((await ask('{ userPage(first: 1, search: "adm") { items { username } nextCursor } }')).data).toEqual({
      userPage: { items: [{ username: 'admin' }], nextCursor: null },
    });
    const bad = await ask('{ userPage(first: 500) { nextCursor } }');
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_REQUEST', path: 'first' });
  });
});
