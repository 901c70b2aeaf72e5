import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataPlaneFetch } from '../ports';
import {
  createControlPlaneFixture,
  FIXTURE_ADMIN_TOKEN,
  type ControlPlaneFixture,
} from '../test-support/control-plane-fixture';

// The MCP edge in process: the SDK's own client, its HTTP going through the control plane's fetch
// handler. End to end over real sockets and processes: test/e2e/mcp.e2e.test.ts.
let f: ControlPlaneFixture;
let aliceToken = '';
const dataPlaneCalls: Array<{ path: string; init: RequestInit }> = [];
let dataPlaneReply: () => Response = () => new Response(null, { status: 500 });
const dataPlane: DataPlaneFetch = async (path, init) => {
  dataPlaneCalls.push({ path, init });
  return dataPlaneReply();
};

const viaControlPlane = (url: string | URL, init?: RequestInit) => f.cp.fetch(new Request(url, init));

async function connect(token: string | null, path = '/mcp'): Promise<Client> {
  const client = new Client({ name: 'aisbf-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`http://cp.test${path}`), {
      fetch: viaControlPlane,
      requestInit: token === null ? {} : { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

const call = async (client: Client, name: string, args: Record<string, unknown> = {}) =>
  (await client.callTool({ name, arguments: args })) as CallToolResult;
const text = (result: CallToolResult): string => (result.content[0] as { text: string }).text;

beforeAll(async () => {
  f = await createControlPlaneFixture('sqlite::memory:', { dataPlane, maxBodyBytes: 100_000 });
  await f.gql(FIXTURE_ADMIN_TOKEN, 'mutation { createUser(username: "alice") { id } }');
  const token = await f.gql(FIXTURE_ADMIN_TOKEN, 'mutation { createApiToken(owner: "alice", name: "t") { token } }');
  aliceToken = (token.data?.['createApiToken'] as { token: string }).token;
});
afterAll(async () => f?.close());

describe('MCP over Streamable HTTP (in process)', () => {
  it('lists the admin tools and the owner argument to admins only, with annotations', async () => {
    const admin = await connect(FIXTURE_ADMIN_TOKEN);
    const user = await connect(aliceToken);
    const adminTools = (await admin.listTools()).tools;
    const userTools = (await user.listTools()).tools;
    expect(adminTools.map((t) => t.name).filter((n) => !userTools.some((t) => t.name === n))).toEqual([
      'list_users',
      'create_user',
    ]);
    const adminUpsert = adminTools.find((t) => t.name === 'upsert_rotation')!;
    const userUpsert = userTools.find((t) => t.name === 'upsert_rotation')!;
    expect(Object.keys(adminUpsert.inputSchema.properties ?? {})).toEqual(['owner', 'id', 'config']);
    expect(Object.keys(userUpsert.inputSchema.properties ?? {})).toEqual(['id', 'config']);
    expect(adminUpsert.inputSchema.required).toEqual(['id', 'config']);
    // The service's rotation schema is what clients are shown for `config`.
    expect(JSON.stringify(userUpsert.inputSchema)).toContain('error_cooldown');
    expect(userTools.find((t) => t.name === 'delete_provider')?.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
    });
    expect(userTools.find((t) => t.name === 'list_providers')?.annotations?.readOnlyHint).toBe(true);
    await Promise.all([admin.close(), user.close()]);
  });

  it("answers a bad config with GraphQL's own message, and refuses unknown arguments", async () => {
    const client = await connect(aliceToken);
    const config = { providers: [{ provider_id: 'nope', model: 'm', weight: -1 }] };
    const viaMcp = await call(client, 'upsert_rotation', { id: 'r', config });
    const viaGraphql = await f.gql(aliceToken, 'mutation($c: JSON!) { upsertRotation(id: "r", config: $c) { id } }', {
      c: config,
    });
    expect(viaMcp.isError).toBe(true);
    expect(text(viaMcp)).toBe(viaGraphql.errors?.[0]?.message);
    expect(text(viaMcp)).toContain('providers[0].weight');
    expect(viaMcp.structuredContent).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    const typo = await call(client, 'list_rotations', { onwer: 'GLOBAL' });
    expect(typo).toMatchObject({ isError: true });
    expect(text(typo)).toContain('onwer');
    const noTool = await client.callTool({ name: 'drop_everything', arguments: {} }).catch((e: Error) => e);
    expect(String(noTool)).toContain('unknown tool');
    await client.close();
  });

  it('refuses plain users on admin tools and on GLOBAL', async () => {
    const client = await connect(aliceToken);
    for (const [name, args] of [
      ['list_users', {}],
      ['create_user', { username: 'mallory' }],
      ['list_providers', { owner: 'GLOBAL' }],
      ['delete_rotation', { owner: 'admin', id: 'x' }],
    ] as const) {
      const result = await call(client, name, args);
      expect(result.isError, name).toBe(true);
      expect(result.structuredContent, name).toMatchObject({ error: { code: 'FORBIDDEN' } });
    }
    const users = await f.gql(FIXTURE_ADMIN_TOKEN, '{ users { username } }');
    expect(JSON.stringify(users.data)).not.toContain('mallory');
    await client.close();
  });

  it('sends chat to the data plane with the caller token and reports what served it', async () => {
    const client = await connect(aliceToken);
    dataPlaneReply = () =>
      Response.json(
        { choices: [{ message: { role: 'assistant', content: 'hello there' }, finish_reason: 'stop' }] },
        { headers: { 'x-aisbf-route': 'user-rotation/r', 'x-aisbf-provider': 'p', 'x-aisbf-model': 'm' } },
      );
    const ok = await call(client, 'chat', { route: 'user-rotation/r', prompt: 'hi' });
    expect(text(ok)).toBe('hello there');
    expect(ok.structuredContent).toMatchObject({ route: 'user-rotation/r', provider: 'p', model: 'm' });
    const sent = dataPlaneCalls.at(-1)!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(new Headers(sent.init.headers).get('authorization')).toBe(`Bearer ${aliceToken}`);
    expect(JSON.parse(String(sent.init.body))).toEqual({
      model: 'user-rotation/r',
      messages: [{ role: 'user', content: 'hi' }],
      stream: false,
    });
    dataPlaneReply = () =>
      Response.json(
        { error: { message: 'daily request quota reached', type: 'rate_limit', code: 'rate_limited', param: null } },
        { status: 429 },
      );
    const limited = await call(client, 'chat', { route: 'user-rotation/r', prompt: 'hi' });
    expect(limited).toMatchObject({ isError: true, structuredContent: { error: { code: 'RATE_LIMITED' } } });
    expect(text(limited)).toBe('daily request quota reached');
    const both = await call(client, 'chat', { route: 'r', prompt: 'a', messages: [{ role: 'user', content: 'b' }] });
    expect(text(both)).toBe('prompt: give either prompt or messages');
    await client.close();
  });

  it('answers 401 with WWW-Authenticate, 403 for another user’s path or a foreign origin, 405 for GET, 413 above the body limit', async () => {
    const post = (path: string, headers: Record<string, string>) =>
      viaControlPlane(`http://cp.test${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
    const none = await post('/mcp', {});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="aisbf"');
    expect(await none.json()).toMatchObject({ jsonrpc: '2.0', error: { message: expect.any(String) } });
    const bad = await post('/mcp', { authorization: 'Bearer aisbf_not-a-token' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('invalid_token');
    expect((await post('/api/u/admin/mcp', { authorization: `Bearer ${aliceToken}` })).status).toBe(403);
    expect((await post('/api/u/alice/mcp', { authorization: `Bearer ${aliceToken}` })).status).toBe(200);
    const foreign = await post('/mcp', { authorization: `Bearer ${aliceToken}`, origin: 'http://evil.test' });
    expect(foreign.status).toBe(403);
    const get = await viaControlPlane('http://cp.test/mcp', { headers: { authorization: `Bearer ${aliceToken}` } });
    expect(get.status).toBe(405);
    await expect(connect(null)).rejects.toMatchObject({ code: 401 });
    const big = await viaControlPlane('http://cp.test/mcp', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${aliceToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'x'.repeat(200_000) } }),
    });
    expect(big.status).toBe(413);
  });
});
