import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, ADMIN_TOKEN, createSecurityFixture, type SecurityFixture } from './security-fixture';

// A page on another port of the same host, with the dashboard's session cookie, minted an API token
// through a form-encoded POST to /graphql, and the reply allowed credentials for any origin. The
// cookie now authenticates only same-origin application/json requests; bearer scripts are unchanged.
let f: SecurityFixture;
let cookie = '';
const DASHBOARD = 'http://gw.test:17765';
const EVIL = 'http://gw.test:8080';
const MINT = 'mutation { createApiToken(name: "csrf") { token } }';

beforeAll(async () => {
  f = await createSecurityFixture();
  const response = await f.cp.fetch(
    new Request(`${DASHBOARD}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    }),
    { clientIp: '10.1.1.2' },
  );
  cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!;
  expect(cookie).toMatch(/^aisbf_session=./);
}, 60_000);

afterAll(async () => {
  await f?.close();
});

const tokenCount = async (): Promise<number> => {
  const reply = await f.gql(ADMIN_TOKEN, '{ apiTokens { name } }');
  return (reply.body.data!['apiTokens'] as Array<{ name: string }>).filter((t) => t.name === 'csrf').length;
};

const post = (path: string, headers: Record<string, string>, body: string) =>
  f.cp.fetch(new Request(`${DASHBOARD}${path}`, { method: 'POST', headers: { cookie, ...headers }, body }));

describe('cross-site requests with the dashboard cookie', () => {
  it('a form-encoded POST from another port of the same host mints nothing and gets no CORS credentials', async () => {
    const response = await post(
      '/graphql',
      { 'content-type': 'application/x-www-form-urlencoded', origin: EVIL, 'sec-fetch-site': 'same-site' },
      new URLSearchParams({ query: MINT }).toString(),
    );
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });
    expect(await tokenCount()).toBe(0);
  });

  it('an older browser without Sec-Fetch-Site is judged by Origin; text/plain and JSON are refused alike', async () => {
    for (const type of ['text/plain', 'application/json']) {
      const response = await post('/graphql', { 'content-type': type, origin: EVIL }, JSON.stringify({ query: MINT }));
      expect(response.status, type).toBe(403);
    }
    expect(await tokenCount()).toBe(0);
  });

  it('a same-origin form post is refused too: the cookie needs application/json', async () => {
    const response = await post(
      '/graphql',
      { 'content-type': 'application/x-www-form-urlencoded', origin: DASHBOARD, 'sec-fetch-site': 'same-origin' },
      new URLSearchParams({ query: MINT }).toString(),
    );
    expect(response.status).toBe(403);
    expect(await tokenCount()).toBe(0);
  });

  it('a CORS preflight from another origin is not granted', async () => {
    const response = await f.cp.fetch(
      new Request(`${DASHBOARD}/graphql`, {
        method: 'OPTIONS',
        headers: {
          origin: EVIL,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      }),
    );
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('the tRPC transport refuses the cookie from another origin as well', async () => {
    const response = await post(
      '/trpc/tokens.create',
      { 'content-type': 'application/json', origin: EVIL, 'sec-fetch-site': 'same-site' },
      JSON.stringify({ name: 'csrf' }),
    );
    expect(response.status).toBe(403);
    expect(await tokenCount()).toBe(0);
  });

  it('the dashboard itself (same origin, JSON) and a bearer script still work', async () => {
    const own = await post(
      '/graphql',
      { 'content-type': 'application/json', origin: DASHBOARD, 'sec-fetch-site': 'same-origin' },
      JSON.stringify({ query: MINT }),
    );
    expect(own.status).toBe(200);
    expect(JSON.stringify(await own.json())).toContain('aisbf_');
    const script = await f.cp.fetch(
      new Request(`${DASHBOARD}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', origin: EVIL },
        body: JSON.stringify({ query: MINT }),
      }),
    );
    expect(script.status).toBe(200);
    expect(await tokenCount()).toBe(2);
  });
});
