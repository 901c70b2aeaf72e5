import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '@aisbf/testkit';
import {
  ADMIN_TOOLS,
  connectMcp,
  expectProviderRotationChat,
  expectRefusedEverywhere,
  McpTranscript,
  seedIsolationTargets,
  USER_TOOLS,
  type McpSession,
} from '../support/mcp-acceptance';
import { graphql, spawnAisbf, type AisbfProcess } from '../support/spawn-aisbf';

// aisbf as an MCP server (docs/mcp.md) on the one port of `aisbf start`, driven by the official
// SDK's Client over Streamable HTTP; the cluster run of the same checks is in cluster.e2e.test.ts.
const ADMIN = 'aisbf_mcpE2eAdminToken0123456789abcdefghijklmn';
const KEYS = {
  alice: 'sk-alice-mcp-key-0123456789',
  other: 'sk-bob-mcp-key-9876543210',
  global: 'sk-global-key-55555',
};

let aisbf: AisbfProcess;
let dataDir: string;
let upstream: MockUpstream;
let aliceToken = '';
let alice: McpSession;
const transcript = new McpTranscript();

beforeAll(async () => {
  // The strict mock accepts only alice's key: a served chat proves the key reached the upstream.
  upstream = await startMockUpstream({ models: ['m1'], words: 6, apiKey: KEYS.alice });
  dataDir = mkdtempSync(join(tmpdir(), 'aisbf-mcp-'));
  aisbf = await spawnAisbf(
    'start',
    { AISBF_DATA_DIR: dataDir, AISBF_ADMIN_TOKEN: ADMIN, AISBF_HOST: '127.0.0.1' },
    { args: ['--port', '0'] },
  );
  for (const username of ['alice', 'bob'])
    expect((await graphql(aisbf.url, ADMIN, `mutation { createUser(username: "${username}") { id } }`)).errors).toBe(
      undefined,
    );
  const token = await graphql<{ createApiToken: { token: string } }>(
    aisbf.url,
    ADMIN,
    'mutation { createApiToken(owner: "alice", name: "mcp") { token } }',
  );
  aliceToken = token.data!.createApiToken.token;
  // The user path on the shared port: the control plane answers it, not the data plane.
  alice = await connectMcp(`${aisbf.url}/api/u/alice/mcp`, aliceToken, transcript);
}, 120_000);

afterAll(async () => {
  await alice?.close();
  expect(await aisbf?.stop()).toBe(0);
  await upstream?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('aisbf start as an MCP server', () => {
  it('lists the tools: the admin gets list_users and create_user on top', async () => {
    expect(await alice.toolNames()).toEqual([...USER_TOOLS].sort());
    const admin = await connectMcp(`${aisbf.url}/mcp`, ADMIN, transcript);
    expect(await admin.toolNames()).toEqual([...ADMIN_TOOLS].sort());
    await admin.close();
  });

  it('creates a provider and a rotation, lists the routes and chats on the rotation', async () => {
    await expectProviderRotationChat(alice, {
      upstreamUrl: upstream.url,
      key: KEYS.alice,
      dataPlaneUrl: aisbf.url,
      token: aliceToken,
    });
    expect(upstream.requests.at(-1)?.headers['authorization']).toBe(`Bearer ${KEYS.alice}`);
    // The chat went through the data plane: it is in alice's usage like any request.
    let requests = 0;
    for (let i = 0; i < 100 && requests === 0; i++) {
      const usage = await alice.ok<{ totals: { requests: number } }>('usage_summary', { groupBy: 'route' });
      requests = usage.totals.requests;
      if (requests === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(requests).toBe(1);
  });

  it("refuses every tool on bob's objects and on GLOBAL, and changes nothing", async () => {
    const targets = await seedIsolationTargets(aisbf.url, ADMIN, 'bob', upstream.url, KEYS);
    await expectRefusedEverywhere(alice, targets, { gqlUrl: aisbf.url, adminToken: ADMIN });
  });

  it("refuses alice's token on bob's path, and answers 401 without a token", async () => {
    const bobPath = await fetch(`${aisbf.url}/api/u/bob/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${aliceToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(bobPath.status).toBe(403);
    for (const path of ['/mcp', '/api/u/alice/mcp']) {
      const anonymous = await fetch(`${aisbf.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.headers.get('www-authenticate'), path).toMatch(/^Bearer /);
    }
    await expect(connectMcp(`${aisbf.url}/mcp`, 'aisbf_wrong', transcript)).rejects.toMatchObject({ code: 401 });
  });

  it('never shows a provider key in any tool result', () => {
    const everything = transcript.text();
    expect(everything).toContain('"mine"');
    for (const key of Object.values(KEYS)) expect(everything).not.toContain(key);
  });
});
