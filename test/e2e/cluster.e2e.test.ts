import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startTcpProxy, type TcpProxy } from '@aisbf/bus';
import { generateSecretKey } from '@aisbf/secrets';
import {
  createTestMysqlDatabase,
  startMockUpstream,
  testRedisPrefix,
  testRedisUrl,
  type MockUpstream,
} from '@aisbf/testkit';
import {
  ADMIN_TOOLS,
  connectMcp,
  expectProviderRotationChat,
  expectRefusedEverywhere,
  McpTranscript,
  seedIsolationTargets,
  USER_TOOLS,
} from '../support/mcp-acceptance';
import { graphql, spawnAisbf, type AisbfProcess } from '../support/spawn-aisbf';
import { freePort } from './start-aisbf';

// Cluster mode end to end (docs/cluster.md): a MariaDB-backed control plane, a worker and two stateless data-plane
// processes sharing Redis. The nodes reach Redis through a TCP proxy we can cut, so a Redis outage
// is theirs alone. Numbers (propagation latency) are printed, not asserted against wall time.
const ADMIN = 'aisbf_clusterAdmin0123456789abcdefghijklmno';
let controlPlane: AisbfProcess;
let worker: AisbfProcess;
const nodes: AisbfProcess[] = [];
let proxy: TcpProxy;
let good: MockUpstream;
let bad: MockUpstream;
let keyed: MockUpstream;
const MCP_KEYS = {
  alice: 'sk-alice-cluster-mcp-01234',
  other: 'sk-bob-cluster-mcp-56789',
  global: 'sk-global-cl-4242',
};
let aliceToken = '';
let nodeDataDir = '';
let nodeEnv: Record<string, string> = {};
const METRICS_TOKEN = 'cluster-metrics-scrape-token-0123';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    if (await check()) return performance.now() - start;
    await sleep(5);
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

const modelsOn = async (node: AisbfProcess, token: string): Promise<string[] | number> => {
  const response = await fetch(`${node.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) return response.status;
  return ((await response.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);
};

const gql = <T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}) =>
  graphql<T>(controlPlane.url, ADMIN, query, variables);

beforeAll(async () => {
  good = await startMockUpstream({ models: ['m-good'], words: 8 });
  bad = await startMockUpstream({ models: ['m-bad'], words: 8 });
  keyed = await startMockUpstream({ models: ['m1'], words: 6, apiKey: MCP_KEYS.alice });
  const redisUrl = new URL(testRedisUrl());
  proxy = await startTcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
  const env = {
    AISBF_DATABASE_URL: await createTestMysqlDatabase('cluster'),
    AISBF_REDIS_URL: testRedisUrl(),
    AISBF_REDIS_PREFIX: testRedisPrefix('cluster'),
    AISBF_SECRET_KEY: generateSecretKey(),
    AISBF_HOST: '127.0.0.1',
  };
  // The control plane's MCP chat tool goes to node dp-a, whose port is picked up front.
  const dpaPort = await freePort();
  controlPlane = await spawnAisbf(
    'control-plane',
    { ...env, AISBF_ADMIN_TOKEN: ADMIN, AISBF_DATA_PLANE_URL: `http://127.0.0.1:${dpaPort}` },
    { args: ['--port', '0'] },
  );
  nodeDataDir = mkdtempSync(join(tmpdir(), 'aisbf-cluster-nodes-'));
  nodeEnv = {
    AISBF_REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
    AISBF_REDIS_PREFIX: env.AISBF_REDIS_PREFIX,
    AISBF_SECRET_KEY: env.AISBF_SECRET_KEY,
    AISBF_HOST: '127.0.0.1',
  };
  const [w, ...dps] = await Promise.all([
    spawnAisbf('worker', { ...env, AISBF_METRICS_TOKEN: METRICS_TOKEN }, { args: ['--port', '0'] }),
    ...['dp-a', 'dp-b'].map((id) =>
      spawnAisbf(
        'data-plane',
        // dp-b serves /metrics to the token only; dp-a and the control plane have no metrics access set.
        {
          ...nodeEnv,
          AISBF_NODE_ID: id,
          AISBF_DATA_DIR: join(nodeDataDir, id),
          ...(id === 'dp-b' ? { AISBF_METRICS_TOKEN: METRICS_TOKEN } : {}),
        },
        { args: ['--port', id === 'dp-a' ? String(dpaPort) : '0'] },
      ),
    ),
  ]);
  worker = w!;
  nodes.push(...dps);
}, 240_000);

afterAll(async () => {
  const codes = await Promise.all([...nodes, worker, controlPlane].filter(Boolean).map((p) => p.stop()));
  await Promise.all([good?.close(), bad?.close(), keyed?.close(), proxy?.close()]);
  if (nodeDataDir !== '') rmSync(nodeDataDir, { recursive: true, force: true });
  expect(codes.every((c) => c === 0)).toBe(true);
});

describe('cluster mode: control plane + worker + two data-plane nodes over Redis', () => {
  it('serves a route created through GraphQL on both nodes, and reports the propagation time', async () => {
    await gql('mutation { createUser(username: "alice") { username } }');
    const token = await gql<{ createApiToken: { token: string } }>(
      'mutation { createApiToken(owner: "alice", name: "app") { token } }',
    );
    aliceToken = token.data!.createApiToken.token;
    for (const [id, mock, model] of [
      ['good', good, 'm-good'],
      ['bad', bad, 'm-bad'],
    ] as const) {
      const r = await gql('mutation($i: ProviderInput!) { upsertProvider(owner: "alice", input: $i) { id } }', {
        i: { id, type: 'openai', endpoint: mock.url, models: [model] },
      });
      expect(r.errors).toBeUndefined();
    }
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const id = `r${i}`;
      const reply = await gql(
        'mutation($id: String!, $c: JSON!) { upsertRotation(owner: "alice", id: $id, config: $c) { id } }',
        {
          id,
          c: {
            strategy: 'priority',
            allowed_fails: 1,
            providers: [
              { provider_id: 'bad', model: 'm-bad', weight: 2, error_cooldown: 60 },
              { provider_id: 'good', model: 'm-good', weight: 1 },
            ],
          },
        },
      );
      expect(reply.errors).toBeUndefined();
      const served = await Promise.all(
        nodes.map((node) =>
          waitFor(async () => {
            const models = await modelsOn(node, aliceToken);
            return Array.isArray(models) && models.includes(`user-rotation/${id}`);
          }, 5000),
        ),
      );
      latencies.push(Math.max(...served));
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `propagation (mutation reply → served by both nodes), 5 changes: p50 ${latencies[2]!.toFixed(1)} ms, max ${latencies[4]!.toFixed(1)} ms`,
    );
  });

  it('serves MCP on the control plane: the same tools, chat through a data-plane node, isolation', async () => {
    const transcript = new McpTranscript();
    const admin = await connectMcp(`${controlPlane.url}/mcp`, ADMIN, transcript);
    expect(await admin.toolNames()).toEqual([...ADMIN_TOOLS].sort());
    await admin.close();
    const alice = await connectMcp(`${controlPlane.url}/api/u/alice/mcp`, aliceToken, transcript);
    expect(await alice.toolNames()).toEqual([...USER_TOOLS].sort());
    await expectProviderRotationChat(alice, {
      upstreamUrl: keyed.url,
      key: MCP_KEYS.alice,
      dataPlaneUrl: nodes[0]!.url,
      token: aliceToken,
    });
    expect(keyed.requests.at(-1)?.headers['authorization']).toBe(`Bearer ${MCP_KEYS.alice}`);
    await gql('mutation { createUser(username: "bob") { id } }');
    const targets = await seedIsolationTargets(controlPlane.url, ADMIN, 'bob', keyed.url, MCP_KEYS);
    await expectRefusedEverywhere(alice, targets, { gqlUrl: controlPlane.url, adminToken: ADMIN });
    await alice.close();
    for (const key of Object.values(MCP_KEYS)) expect(transcript.text()).not.toContain(key);
  });

  it('makes every node skip a provider that failed on one node (shared cooldown)', async () => {
    bad.setDefault({ kind: 'status', status: 500 });
    const a = new OpenAI({ baseURL: `${nodes[0]!.url}/v1`, apiKey: aliceToken, maxRetries: 0 });
    const b = new OpenAI({ baseURL: `${nodes[1]!.url}/v1`, apiKey: aliceToken, maxRetries: 0 });
    const first = await a.chat.completions
      .create({ model: 'user-rotation/r0', messages: [{ role: 'user', content: 'x' }] })
      .withResponse();
    expect(first.response.headers.get('x-aisbf-provider')).toBe('good');
    const badHits = bad.requests.length;
    expect(badHits).toBeGreaterThan(0);
    await sleep(100); // the cooldown announcement crosses Redis
    const second = await b.chat.completions
      .create({ model: 'user-rotation/r0', messages: [{ role: 'user', content: 'x' }] })
      .withResponse();
    expect(second.response.headers.get('x-aisbf-provider')).toBe('good');
    expect(bad.requests.length).toBe(badHits);
  });

  it('keeps both nodes serving through a Redis outage, and catches up afterwards', async () => {
    proxy.cut();
    onTestFinished(() => proxy.restore());
    const clients = nodes.map((n) => new OpenAI({ baseURL: `${n.url}/v1`, apiKey: aliceToken, maxRetries: 0 }));
    let failures = 0;
    for (let i = 0; i < 10; i++) {
      for (const client of clients) {
        await client.chat.completions
          .create({ model: 'user-rotation/r1', messages: [{ role: 'user', content: 'x' }] })
          .catch(() => {
            failures += 1;
          });
      }
    }
    expect(failures).toBe(0);
    const ready = await fetch(`${nodes[0]!.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', redis: 'disconnected' });
    // A change made while the nodes cannot hear it…
    const r = await gql(
      'mutation($c: JSON!) { upsertRotation(owner: "alice", id: "during-outage", config: $c) { id } }',
      { c: { providers: [{ provider_id: 'good', model: 'm-good', weight: 1 }] } },
    );
    expect(r.errors).toBeUndefined();
    proxy.restore();
    // …arrives once Redis is back (reconnect triggers a re-read; the slow poll is the safety net).
    for (const node of nodes) {
      await waitFor(async () => {
        const models = await modelsOn(node, aliceToken);
        return Array.isArray(models) && models.includes('user-rotation/during-outage');
      }, 15_000);
    }
  });

  it('stops a revoked token on both nodes', async () => {
    const created = await gql<{ createApiToken: { id: string; token: string } }>(
      'mutation { createApiToken(owner: "alice", name: "temp") { id token } }',
    );
    const { id, token } = created.data!.createApiToken;
    for (const node of nodes) await waitFor(async () => Array.isArray(await modelsOn(node, token)), 5000);
    await gql('mutation($id: ID!) { revokeApiToken(id: $id) }', { id });
    for (const node of nodes) await waitFor(async () => (await modelsOn(node, token)) === 401, 5000);
  });

  it('loads a cold user on first use, and a revoked token is refused right after the commit, held or not', async () => {
    await gql('mutation { createUser(username: "carol", password: "carol-password-123") { id } }');
    const created = await gql<{ createApiToken: { id: string; token: string } }>(
      'mutation { createApiToken(owner: "carol", name: "cold") { id token } }',
    );
    const { id, token } = created.data!.createApiToken;
    const [warm, cold] = nodes as [AisbfProcess, AisbfProcess];
    const parts = async (node: AisbfProcess): Promise<{ usersHeld: number; loads: number }> =>
      ((await (await fetch(`${node.url}/readyz`)).json()) as { parts: { usersHeld: number; loads: number } }).parts;
    // Only `warm` serves carol: it loads her part on her first request (token index, then her part).
    const before = await parts(warm);
    expect(Array.isArray(await modelsOn(warm, token))).toBe(true);
    const after = await parts(warm);
    expect(after.loads).toBe(before.loads + 1);
    expect(after.usersHeld).toBe(before.usersHeld + 1);
    const coldHeld = (await parts(cold)).usersHeld;
    await gql('mutation($id: ID!) { revokeApiToken(id: $id) }', { id });
    // The node that never held carol reads the token index, which the commit already changed: refused at once.
    expect(await modelsOn(cold, token)).toBe(401);
    expect((await parts(cold)).usersHeld).toBe(coldHeld);
    // The node holding her part re-reads it when the change is announced (milliseconds).
    const ms = await waitFor(async () => (await modelsOn(warm, token)) === 401, 1000);
    console.log(`[cluster] revoked token refused by the node holding its user ${ms.toFixed(1)} ms after the reply`);
  });

  it('serves /metrics on every role only as AISBF_METRICS_TOKEN allows (docs/observability.md "Access")', async () => {
    const scrape = (url: string, token?: string): Promise<Response> =>
      fetch(`${url}/metrics`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
    // Nothing set: not served, not even to the admin's API token.
    expect((await scrape(nodes[0]!.url)).status).toBe(404);
    expect((await scrape(controlPlane.url, ADMIN)).status).toBe(404);
    for (const [url, series] of [
      [nodes[1]!.url, 'aisbf_config_version'],
      [worker.url, 'aisbf_queue_jobs'],
    ] as const) {
      expect((await scrape(url)).status).toBe(401);
      expect((await scrape(url, `${METRICS_TOKEN}-wrong`)).status).toBe(401);
      const served = await scrape(url, METRICS_TOKEN);
      expect(served.status).toBe(200);
      expect(await served.text()).toContain(series);
    }
  });

  it("writes the nodes' usage to MySQL through the worker", async () => {
    await waitFor(async () => {
      const usage = await gql<{ usage: { totals: { requests: number } } }>(
        '{ usage(user: "alice") { totals { requests } } }',
      );
      return (usage.data?.usage.totals.requests ?? 0) >= 22;
    }, 15_000);
  });
  it('keeps the usage of a node stopped during a Redis outage on its disk, and its next start delivers it', async () => {
    // A route no other test calls, so its count is this test's alone.
    const r = await gql('mutation($c: JSON!) { upsertRotation(owner: "alice", id: "spooled", config: $c) { id } }', {
      c: { providers: [{ provider_id: 'good', model: 'm-good', weight: 1 }] },
    });
    expect(r.errors).toBeUndefined();
    await waitFor(async () => {
      const models = await modelsOn(nodes[1]!, aliceToken);
      return Array.isArray(models) && models.includes('user-rotation/spooled');
    }, 5_000);
    const usageRequests = async (): Promise<number> =>
      (
        await gql<{ usage: { totals: { requests: number } } }>(
          '{ usage(user: "alice", route: "user-rotation/spooled") { totals { requests } } }',
        )
      ).data?.usage.totals.requests ?? -1;
    proxy.cut();
    onTestFinished(() => proxy.restore());
    const client = new OpenAI({ baseURL: `${nodes[1]!.url}/v1`, apiKey: aliceToken, maxRetries: 0 });
    for (let i = 0; i < 3; i++)
      await client.chat.completions.create({
        model: 'user-rotation/spooled',
        messages: [{ role: 'user', content: 'x' }],
      });
    // SIGTERM with Redis away: the node waits its 5 s for the queue, then writes the 3 events to disk.
    expect(await nodes[1]!.stop(30_000)).toBe(0);
    const spoolDir = join(nodeDataDir, 'dp-b', 'usage-spool');
    expect(readdirSync(spoolDir).filter((name) => name.endsWith('.ndjson'))).toHaveLength(1);
    expect(await usageRequests()).toBe(0);
    proxy.restore();
    nodes[1] = await spawnAisbf(
      'data-plane',
      { ...nodeEnv, AISBF_NODE_ID: 'dp-b', AISBF_DATA_DIR: join(nodeDataDir, 'dp-b') },
      { args: ['--port', '0'] },
    );
    await waitFor(async () => (await usageRequests()) === 3, 15_000);
    await waitFor(async () => readdirSync(spoolDir).length === 0, 5_000);
  }, 90_000);
});
