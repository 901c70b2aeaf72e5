import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, spawnAisbf, type AisbfProcess } from '../support/spawn-aisbf';

// docs/security.md, second review, finding 3: a provider pointed at the gateway's own LAN address and
// port looped (one request made 6,557 nested requests in 3 s). A user-owned provider there is refused
// (the gateway's ports on every interface address, not only loopback), and every upstream request
// carries `x-aisbf-hops` one higher than it came in with, so a loop through trusted (global)
// providers ends with 508 after AISBF_MAX_HOPS gateways.
const ADMIN_TOKEN = 'aisbf_gatewayLoopAdminToken0123456789abcdefghijklmnop';
let dataDir: string;
let aisbf: AisbfProcess;
let port = 0;
let alice = '';
const seen: IncomingHttpHeaders[] = [];
let upstream: Server;
let upstreamUrl = '';

/** The first non-loopback IPv4 address of this host (the LAN address a loop went through). */
function interfaceAddress(): string {
  for (const list of Object.values(networkInterfaces()))
    for (const entry of list ?? []) if (entry.family === 'IPv4' && !entry.internal) return entry.address;
  return '127.0.0.1';
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  const { port: p } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return p;
}

const admin = async (query: string, variables: Record<string, unknown> = {}) => {
  const reply = await graphql(aisbf.url, ADMIN_TOKEN, query, variables);
  expect(reply.errors, query).toBeUndefined();
  return reply.data!;
};

const chat = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${aisbf.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${alice}`, ...headers },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  // A strict-enough OpenAI-compatible upstream that records what the gateway sent it.
  upstream = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 1,
          model: 'm1',
          choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  dataDir = mkdtempSync(join(tmpdir(), 'aisbf-gateway-loop-'));
  port = await freePort();
  aisbf = await spawnAisbf(
    'start',
    {
      AISBF_DATA_DIR: dataDir,
      AISBF_HOST: '0.0.0.0',
      AISBF_ADMIN_TOKEN: ADMIN_TOKEN,
      AISBF_ADMIN_PASSWORD: 'loop-password-123',
    },
    { args: ['--port', String(port)] },
  );
  await admin('mutation { createUser(username: "alice", password: "a-long-password-123") { id } }');
  const token = await admin('mutation { createApiToken(owner: "alice", name: "t") { token } }');
  alice = (token['createApiToken'] as { token: string }).token;
  await admin(
    'mutation($e: String!) { upsertProvider(owner: "GLOBAL", input: { id: "echo", type: "openai", endpoint: $e, models: ["m1"] }) { id } }',
    { e: upstreamUrl },
  );
  // An admin's (trusted, so not policy-checked) provider that is the gateway itself, and a rotation
  // through it that names itself again: the loop of the finding, on purpose.
  await admin(
    'mutation($e: String!, $k: String!) { upsertProvider(owner: "GLOBAL", input: { id: "self", type: "openai", endpoint: $e, apiKey: $k, models: ["loop"] }) { id } }',
    { e: `http://127.0.0.1:${port}/v1`, k: ADMIN_TOKEN },
  );
  await admin('mutation($c: JSON!) { upsertRotation(owner: "GLOBAL", id: "loop", config: $c) { id } }', {
    c: { providers: [{ provider_id: 'self', model: 'loop' }], retry: { backoff_ms: 10 } },
  });
}, 120_000);

afterAll(async () => {
  await aisbf?.stop();
  await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

describe('the gateway never loops through itself', { timeout: 120_000 }, () => {
  it("a user's provider at the gateway's own interface address and port is refused on save", async () => {
    const address = interfaceAddress();
    const reply = await graphql(
      aisbf.url,
      alice,
      'mutation($e: String!) { upsertProvider(input: { id: "me", type: "openai", endpoint: $e, models: ["m"] }) { id } }',
      { e: `http://${address}:${port}/v1` },
    );
    expect(reply.data).toBeNull();
    expect(reply.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(reply.errors?.[0]?.message).toContain(`${address}:${port} is the gateway itself`);
    // Another port of the same address is not the gateway (the refusal is not blanket).
    const other = await graphql(
      aisbf.url,
      alice,
      'mutation($e: String!) { upsertProvider(input: { id: "me", type: "openai", endpoint: $e, models: ["m"] }) { id } }',
      { e: `http://${address}:${port === 65535 ? port - 1 : port + 1}/v1` },
    );
    expect(other.errors?.[0]?.message ?? '').not.toContain('gateway itself');
  });

  it('upstream requests carry the incoming hop count plus one, never the incoming value', async () => {
    seen.length = 0;
    const first = await chat('/v1/chat/completions', {
      model: 'provider/echo/m1',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(first.status, await first.text()).toBe(200);
    const second = await chat(
      '/v1/chat/completions',
      { model: 'provider/echo/m1', messages: [{ role: 'user', content: 'x' }] },
      { 'x-aisbf-hops': '2' },
    );
    expect(second.status).toBe(200);
    expect(seen.map((h) => h['x-aisbf-hops'])).toEqual(['1', '3']);
  });

  it('a request that already passed AISBF_MAX_HOPS gateways is 508 in each dialect, and nothing is sent', async () => {
    seen.length = 0;
    const openai = await chat(
      '/v1/chat/completions',
      { model: 'provider/echo/m1', messages: [{ role: 'user', content: 'x' }] },
      { 'x-aisbf-hops': '3' },
    );
    expect(openai.status).toBe(508);
    expect(await openai.json()).toMatchObject({
      error: {
        code: 'loop_detected',
        type: 'invalid_request_error',
        message: expect.stringContaining('3 aisbf gateways'),
      },
    });
    const anthropic = await chat(
      '/v1/messages',
      { model: 'provider/echo/m1', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] },
      { 'x-aisbf-hops': '7', 'anthropic-version': '2023-06-01' },
    );
    expect(anthropic.status).toBe(508);
    expect(await anthropic.json()).toMatchObject({
      type: 'error',
      error: { message: expect.stringContaining('aisbf gateways') },
    });
    const responses = await chat(
      '/v1/responses',
      { model: 'provider/echo/m1', input: 'x' },
      { 'x-aisbf-hops': '3, 0' },
    );
    expect(responses.status).toBe(508);
    expect(await responses.json()).toMatchObject({ error: { code: 'loop_detected' } });
    expect(seen).toHaveLength(0);
  });

  it('a provider that is the gateway itself ends after a few hops, not thousands', async () => {
    const started = performance.now();
    const res = await fetch(`${aisbf.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ model: 'loop', messages: [{ role: 'user', content: 'x' }] }),
    });
    const text = await res.text();
    expect(res.status, text).toBeGreaterThanOrEqual(500);
    expect(JSON.parse(text)).toHaveProperty('error');
    expect(performance.now() - started).toBeLessThan(30_000);
    // Every pass through the gateway is one usage record of route "loop": the client's request and
    // the nested ones (each level may retry the same entry once, so at most 1 + 2 + 4 + 8).
    const count = async (): Promise<number> => {
      const data = await admin('{ usage(groupBy: ROUTE, route: "loop") { groups { key requests } } }');
      const groups = (data['usage'] as { groups: Array<{ key: string; requests: number }> }).groups;
      return groups.find((g) => g.key === 'loop')?.requests ?? 0;
    };
    await expect.poll(count, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const total = await count();
    expect(total).toBeGreaterThanOrEqual(4);
    expect(total).toBeLessThanOrEqual(15);
  });
});
