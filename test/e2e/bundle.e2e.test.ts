import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisPartStore } from '@aisbf/bus';
import { createSecretBox, generateSecretKey } from '@aisbf/secrets';
import { buildTestSnapshot, startMockUpstream, testRedisPrefix, testRedisUrl, type MockUpstream } from '@aisbf/testkit';
import { bundleCli, bundleTempDir, packageName, ROOT, type BundleResult } from '../../scripts/bundle';
import { connectMcp, McpTranscript } from '../support/mcp-acceptance';
import { graphql, spawnAisbf, type AisbfProcess } from '../support/spawn-aisbf';

// Production runs `node dist/aisbf.mjs`, not the sources through tsx (docs/decisions.md §2). Build
// the bundle as `pnpm build` does (into a throwaway directory) and run its roles as real processes
// with plain node: what breaks only in a bundle (paths read relative to import.meta.url, a package
// that must stay external) breaks here.
const ADMIN_TOKEN = 'aisbf_bundleAdmin0123456789abcdefghijklmno';
const UPSTREAM_KEY = 'sk-bundle-upstream-4321';
const ANSWER = 'w1 w2 w3 w4 w5';

let outdir: string;
let built: BundleResult;
let mock: MockUpstream;
const cleanups: Array<() => Promise<unknown> | void> = [];

beforeAll(async () => {
  outdir = await bundleTempDir('aisbf-e2e-bundle');
  cleanups.push(() => rmSync(outdir, { recursive: true, force: true }));
  built = await bundleCli(outdir);
  mock = await startMockUpstream({ models: ['m1'], words: 5, apiKey: UPSTREAM_KEY });
  cleanups.push(() => mock.close());
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const run = (args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const result = spawnSync(process.execPath, [built.files['aisbf']!, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '' },
    timeout: 15_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};

async function chat(client: OpenAI, model: string): Promise<{ whole: string | null; streamed: string }> {
  const whole = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hello' }] });
  const stream = await client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
  });
  let streamed = '';
  for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? '';
  return { whole: whole.choices[0]?.message.content ?? null, streamed };
}

describe('the bundle', () => {
  it('inlines the workspace packages and leaves third-party packages to node_modules', () => {
    expect(readFileSync(built.files['aisbf']!, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
    const outputs = readdirSync(outdir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.mjs'));
    expect(outputs.filter((f) => f.startsWith('chunks/data-plane-'))).toHaveLength(1);
    const text = outputs.map((f) => readFileSync(join(outdir, f), 'utf8')).join('\n');
    expect(text).toContain('function createDataPlane(');
    // esbuild marks every inlined file with a `// <path>` comment: none may come from node_modules.
    expect(text).toMatch(/^\/\/ packages\/data-plane\/src\//m);
    expect(text).not.toMatch(/^\/\/ node_modules\//m);
    expect(built.externals).toEqual(
      expect.arrayContaining(['better-sqlite3', 'bullmq', 'pino', 'undici', 'graphql-yoga']),
    );
    for (const f of outputs) expect(existsSync(join(outdir, `${f}.map`)), `${f}.map`).toBe(true);
  });

  it('loads, for the data-plane role, none of the packages only the other roles use', () => {
    // What Node evaluates for `aisbf data-plane` before the role runs: the entry and the role's
    // chunk with everything they import statically (a dynamic import() loads only when called).
    const external = new Set<string>();
    const seen = new Set<string>();
    const role = readdirSync(join(outdir, 'chunks')).find((f) => /^data-plane-.*\.mjs$/.test(f))!;
    const queue = [built.files['aisbf']!, join(outdir, 'chunks', role)];
    for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
      if (seen.has(file)) continue;
      seen.add(file);
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/^import\s(?:[^;"']*?\sfrom\s*)?"([^"]+)";/gm)) {
        if (specifier!.startsWith('.')) queue.push(join(file, '..', specifier!));
        else if (!specifier!.startsWith('node:')) external.add(packageName(specifier!));
      }
    }
    // The request path's own packages are there (the walk found the role's imports)...
    expect([...external]).toEqual(expect.arrayContaining(['undici', 'ioredis', 'bullmq', 'zod']));
    // ...the control plane's, the database layer's, the tokenizer's and the tracing SDK's are not.
    for (const only of [
      'graphql',
      'graphql-yoga',
      '@pothos/core',
      '@trpc/server',
      '@modelcontextprotocol/sdk',
      'kysely',
      'mysql2',
      'better-sqlite3',
      'gpt-tokenizer',
      '@opentelemetry/sdk-trace-base',
    ])
      expect(external, only).not.toContain(only);
  });

  it('prints the usage for --help on a role, and refuses an unknown command', () => {
    const help = run(['data-plane', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('data-plane      stateless OpenAI-compatible proxy node');
    const unknown = run(['nope']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown command "nope"');
  });
});

describe('node <bundle> start (all-in-one, SQLite)', () => {
  let aisbf: AisbfProcess;

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aisbf-e2e-bundle-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    aisbf = await spawnAisbf(
      'start',
      { AISBF_DATA_DIR: dataDir, AISBF_ADMIN_TOKEN: ADMIN_TOKEN, AISBF_HOST: '127.0.0.1' },
      { bundle: built.files['aisbf']!, args: ['--port', '0'], timeoutMs: 20_000 },
    );
  }, 30_000);

  afterAll(async () => {
    expect(await aisbf?.stop()).toBe(0);
  });

  it('answers /healthz and /readyz, and finds the dashboard build from dist/ as from the sources', async () => {
    expect((await fetch(`${aisbf.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${aisbf.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    // The dashboard path is resolved from the running module: from a bundle it must still be the
    // checkout's web/build (served when built, absent otherwise; never a path outside the checkout).
    const page = await fetch(`${aisbf.url}/`);
    expect(page.status).toBe(existsSync(join(ROOT, 'web/build/index.html')) ? 200 : 404);
  });

  it('serves a user and provider created through GraphQL to the openai SDK (streamed and not) and to MCP chat', async () => {
    const user = await graphql(aisbf.url, ADMIN_TOKEN, 'mutation { createUser(username: "alice") { username } }');
    expect(user.errors).toBeUndefined();
    const token = await graphql<{ createApiToken: { token: string } }>(
      aisbf.url,
      ADMIN_TOKEN,
      'mutation { createApiToken(owner: "alice", name: "bundle") { token } }',
    );
    expect(token.errors).toBeUndefined();
    const provider = await graphql(
      aisbf.url,
      ADMIN_TOKEN,
      'mutation($i: ProviderInput!) { upsertProvider(owner: "alice", input: $i) { id } }',
      {
        i: { id: 'mock', type: 'openai', endpoint: mock.url, apiKey: UPSTREAM_KEY, models: ['m1'] },
      },
    );
    expect(provider.errors).toBeUndefined();
    const client = new OpenAI({ baseURL: `${aisbf.url}/v1`, apiKey: token.data!.createApiToken.token, maxRetries: 0 });
    expect(await chat(client, 'user-provider/mock/m1')).toEqual({ whole: ANSWER, streamed: ANSWER });
    expect(mock.requests.at(-1)?.headers['authorization']).toBe(`Bearer ${UPSTREAM_KEY}`);
    // The MCP SDK stays external too: its server answers from the bundle, and `chat` reaches the data plane.
    const mcp = await connectMcp(`${aisbf.url}/mcp`, token.data!.createApiToken.token, new McpTranscript());
    expect(await mcp.ok('chat', { route: 'user-provider/mock/m1', prompt: 'hello' })).toMatchObject({
      text: ANSWER,
      provider: 'mock',
    });
    await mcp.close();
  });
});

describe('node <bundle> data-plane (config snapshot from Redis, tracing on)', () => {
  const USER_TOKEN = 'aisbf_bundleUser0123456789abcdefghijklmnopq';
  let node: AisbfProcess;
  // A stand-in OTLP/HTTP collector: the OpenTelemetry SDK is a chunk the role loads only when
  // tracing is configured, so this proves that chunk and its packages load from the bundle.
  const traces: string[] = [];

  beforeAll(async () => {
    const collector = createServer((req: IncomingMessage, res) => {
      traces.push(req.url ?? '');
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => collector.close(resolve)));
    const otlp = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const prefix = testRedisPrefix('bundle');
    const secretKey = generateSecretKey();
    const store = createRedisPartStore({ url: testRedisUrl(), prefix });
    cleanups.push(() => store.close());
    const snapshot = buildTestSnapshot({
      secretBox: createSecretBox(secretKey),
      users: [{ username: 'bob', token: USER_TOKEN }],
      providers: [{ id: 'mock', endpoint: mock.url, apiKey: UPSTREAM_KEY, models: ['m1'] }],
    });
    expect(await store.put(snapshot)).toBe(true);
    node = await spawnAisbf(
      'data-plane',
      {
        AISBF_REDIS_URL: testRedisUrl(),
        AISBF_REDIS_PREFIX: prefix,
        AISBF_SECRET_KEY: secretKey,
        AISBF_HOST: '127.0.0.1',
        AISBF_NODE_ID: 'dp-bundle',
        AISBF_OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
      },
      { bundle: built.files['aisbf']!, args: ['--port', '0'], timeoutMs: 20_000 },
    );
  }, 30_000);

  afterAll(async () => {
    expect(await node?.stop()).toBe(0);
  });

  it('answers /healthz and /readyz with the snapshot it read from Redis', async () => {
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${node.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', nodeId: 'dp-bundle', version: 1, redis: 'connected' });
  });

  it('proxies an OpenAI chat completion to the provider in the snapshot, streamed and not, and exports its spans', async () => {
    const client = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: USER_TOKEN, maxRetries: 0 });
    expect(await chat(client, 'mock/m1')).toEqual({ whole: ANSWER, streamed: ANSWER });
    // Spans leave in batches every second (packages/cli/src/tracing.ts).
    for (let waited = 0; traces.length === 0 && waited < 5000; waited += 100)
      await new Promise((r) => setTimeout(r, 100));
    expect(traces).toContain('/v1/traces');
  });
});
