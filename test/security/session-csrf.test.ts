import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, ADMIN_TOKEN, createSecurityFixture, type SecurityFixture } from './security-fixture';

// The dashboard's session cookie is SameSite=Lax, which browsers still send on a cross-site
// top-level GET. So no state may change through a GET, on either transport, with that cookie.
let f: SecurityFixture;
let cookie = '';

beforeAll(async () => {
  f = await createSecurityFixture();
  const response = await f.cp.fetch(
    new Request('http://cp.test/trpc/auth.login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    }),
    { clientIp: '10.1.1.1' },
  );
  const setCookie = response.headers.get('set-cookie') ?? '';
  expect(setCookie).toMatch(/HttpOnly/);
  expect(setCookie).toMatch(/SameSite=Lax/);
  cookie = setCookie.split(';')[0]!;
}, 60_000);

afterAll(async () => {
  await f?.close();
});

const get = async (path: string): Promise<{ status: number; text: string }> => {
  const response = await f.cp.fetch(new Request(`http://cp.test${path}`, { method: 'GET', headers: { cookie } }));
  return { status: response.status, text: await response.text() };
};

const userExists = async (username: string): Promise<boolean> => {
  const reply = await f.gql(ADMIN_TOKEN, '{ users { username } }');
  return (reply.body.data!['users'] as Array<{ username: string }>).some((u) => u.username === username);
};

describe('session cookie and GET', () => {
  it('the cookie authenticates reads (so the checks below are not vacuous)', async () => {
    const me = await get(`/graphql?query=${encodeURIComponent('{ me { username } }')}`);
    expect(me.text).toContain('"username":"admin"');
    const trpcMe = await get('/trpc/auth.me');
    expect(trpcMe.text).toContain('"username":"admin"');
  });

  it('a GraphQL mutation over GET is refused and changes nothing', async () => {
    const reply = await get(
      `/graphql?query=${encodeURIComponent('mutation { createUser(username: "csrf-gql", role: ADMIN) { id } }')}`,
    );
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.status).toBeLessThan(500);
    expect(await userExists('csrf-gql')).toBe(false);
  });

  it('a tRPC mutation over GET is refused and changes nothing', async () => {
    const reply = await get(
      `/trpc/users.create?input=${encodeURIComponent(JSON.stringify({ username: 'csrf-trpc', role: 'admin' }))}`,
    );
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.status).toBeLessThan(500);
    expect(await userExists('csrf-trpc')).toBe(false);
  });
});
