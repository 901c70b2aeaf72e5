import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataPlane, type DataPlane } from '@aisbf/data-plane';
import { resealProviderHeaders } from '@aisbf/control-plane';
import { providerHeadersOf } from '@aisbf/core';
import { dumpRawRows, findProvider, loadSnapshot, upsertProvider } from '@aisbf/db';
import { createSecretBox, generateSecretKey } from '@aisbf/secrets';
import {
  createTestMysqlDatabase,
  startMockAnthropic,
  startMockGemini,
  startMockOllama,
  startMockUpstream,
  type MockAnthropic,
  type MockGemini,
  type MockOllama,
  type MockUpstream,
} from '@aisbf/testkit';
import { ADMIN_TOKEN, createSecurityFixture, type SecurityFixture } from './security-fixture';

// A provider's `headers` often carry its credential (a gateway's tenant key, `X-Api-Key`), yet they
// were stored in the settings JSON and exported as written. They are now sealed like the API key
// (docs/architecture.md "Secrets"): ciphertext in MariaDB and in the snapshot, hints in exports,
// a hint sent back keeps the stored value, and every provider type still sends them upstream.
const SECRET_KEY = generateSecretKey();
const PLANTED = {
  openai: 'tenant-PLANTED-openai-header-1111',
  anthropic: 'tenant-PLANTED-anthropic-header-2222',
  google: 'tenant-PLANTED-google-header-3333',
  ollama: 'tenant-PLANTED-ollama-header-4444',
} as const;
type Kind = keyof typeof PLANTED;

let f: SecurityFixture;
let openai: MockUpstream;
let anthropic: MockAnthropic;
let gemini: MockGemini;
let ollama: MockOllama;
let plane: DataPlane;
let server: Server;

const ok = async (query: string, variables: Record<string, unknown> = {}): Promise<Record<string, unknown>> => {
  const reply = await f.gql(ADMIN_TOKEN, query, variables);
  expect(reply.body.errors, reply.text).toBeUndefined();
  return reply.body.data!;
};

const UPSERT = 'mutation($i: ProviderInput!) { upsertProvider(owner: "GLOBAL", input: $i) { id } }';

beforeAll(async () => {
  f = await createSecurityFixture({ databaseUrl: await createTestMysqlDatabase('headers'), secretKey: SECRET_KEY });
  [openai, anthropic, gemini, ollama] = await Promise.all([
    startMockUpstream({ models: ['m1'], words: 3 }),
    startMockAnthropic({ words: 3 }),
    startMockGemini(),
    startMockOllama(),
  ]);
  const providers: Array<{ kind: Kind; type: string; endpoint: string; apiKey?: string; model: string }> = [
    { kind: 'openai', type: 'openai', endpoint: openai.url, model: 'm1' },
    {
      kind: 'anthropic',
      type: 'anthropic',
      endpoint: anthropic.url,
      apiKey: 'sk-ant-test-key',
      model: 'claude-test-1',
    },
    { kind: 'google', type: 'google', endpoint: gemini.url, apiKey: 'gemini-test-key', model: 'gemini-test' },
    { kind: 'ollama', type: 'ollama', endpoint: ollama.url, model: 'llama-test' },
  ];
  for (const p of providers)
    await ok(UPSERT, {
      i: {
        id: `${p.kind}-p`,
        type: p.type,
        endpoint: p.endpoint,
        ...(p.apiKey === undefined ? {} : { apiKey: p.apiKey }),
        models: [p.model],
        settings: { headers: { 'X-Tenant-Secret': PLANTED[p.kind] }, timeout_total_s: 20 },
      },
    });
}, 60_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  await plane?.close();
  await Promise.all([openai?.close(), anthropic?.close(), gemini?.close(), ollama?.close()]);
  await f?.close();
});

const planted = (): string[] => Object.values(PLANTED);

describe('provider header values are secrets', () => {
  it('are not in plaintext in the MariaDB row, which holds them sealed', async () => {
    const rows = await dumpRawRows(f.handle.db);
    expect(rows.providers).toHaveLength(4);
    const text = JSON.stringify(rows.providers);
    for (const secret of planted()) expect(text.includes(secret), `a row holds ${secret}`).toBe(false);
    const row = await f.handle.db
      .selectFrom('providers')
      .select('settings')
      .where('slug', '=', 'openai-p')
      .executeTakeFirstOrThrow();
    const settings = JSON.parse(row.settings) as Record<string, unknown>;
    expect(settings['headers']).toBeUndefined();
    expect(settings['headers_enc']).toMatchObject({ 'X-Tenant-Secret': { enc: expect.stringMatching(/^v1:/) } });
    // The snapshot a data plane reads (and Redis stores) carries them sealed too.
    const snapshot = JSON.stringify(await loadSnapshot(f.handle.db));
    for (const secret of planted()) expect(snapshot.includes(secret), `the snapshot holds ${secret}`).toBe(false);
  });

  it('are redacted in exportConfig (GraphQL and tRPC) and the provider list, and an export imports back keeping them', async () => {
    const exported = await f.gql(ADMIN_TOKEN, 'query { exportConfig(owner: "GLOBAL") { providers } }');
    const viaTrpc = await f.trpc(ADMIN_TOKEN, 'config.export', 'query', { owner: 'GLOBAL' });
    // The dashboard's provider list shows header names only, neither values nor their ciphertext.
    const listed = await f.trpc(ADMIN_TOKEN, 'providers.list', 'query', { owner: 'GLOBAL' });
    expect(listed.code).toBeNull();
    expect(listed.text).toContain('X-Tenant-Secret');
    expect(listed.text).not.toMatch(/headers_enc|"v1:/);
    for (const reply of [exported.text, viaTrpc.text, listed.text])
      for (const secret of planted()) expect(reply.includes(secret), `an export holds ${secret}`).toBe(false);
    const providers = (exported.body.data!['exportConfig'] as { providers: Record<string, Record<string, unknown>> })
      .providers;
    const doc = (providers['providers'] ?? providers) as Record<string, Record<string, unknown>>;
    expect(doc['openai-p']!['headers']).toEqual({ 'X-Tenant-Secret': 'tenant…1111' });
    expect(doc['openai-p']!['headers_enc']).toBeUndefined();
    // The export, sent back as it is, keeps every stored value (the traffic test below sends them).
    await ok('mutation($d: JSON!) { importConfig(owner: "GLOBAL", kind: PROVIDERS, document: $d) { updated } }', {
      d: providers,
    });
    // A redaction with nothing stored under that name is refused, naming the header.
    const refused = await f.gql(ADMIN_TOKEN, UPSERT, {
      i: {
        id: 'openai-p',
        type: 'openai',
        endpoint: openai.url,
        settings: { headers: { 'X-Other': 'tenant…9999' } },
      },
    });
    expect(refused.body.errors?.[0]?.message).toMatch(/X-Other.*redacted/s);
  });

  it('reach the upstream in plaintext for every provider type, next to the type’s own headers', async () => {
    plane = createDataPlane({
      secretBox: createSecretBox(SECRET_KEY),
      usageSink: { emit: () => undefined, flush: async () => undefined, close: async () => undefined },
      logger: pino({ level: 'silent' }),
    });
    plane.setSnapshot(await loadSnapshot(f.handle.db));
    server = createServer((req, res) => void plane.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`;
    const chat = async (model: string): Promise<void> => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(response.status, `${model}: ${await response.clone().text()}`).toBe(200);
      await response.arrayBuffer();
    };
    await chat('openai-p/m1');
    await chat('anthropic-p/claude-test-1');
    await chat('google-p/gemini-test');
    await chat('ollama-p/llama-test');
    expect(openai.requests.at(-1)?.headers['x-tenant-secret']).toBe(PLANTED.openai);
    const toAnthropic = anthropic.requests.at(-1)!.headers;
    expect(toAnthropic['x-tenant-secret']).toBe(PLANTED.anthropic);
    expect(toAnthropic['anthropic-version']).toBe('2023-06-01');
    expect(toAnthropic['x-api-key']).toBe('sk-ant-test-key');
    const toGemini = gemini.requests.at(-1)!.headers;
    expect(toGemini['x-tenant-secret']).toBe(PLANTED.google);
    expect(toGemini['x-goog-api-key']).toBe('gemini-test-key');
    expect(ollama.requests.at(-1)?.headers['x-tenant-secret']).toBe(PLANTED.ollama);
  });

  it('a row written before the fix (plaintext headers) is resealed at boot, keeping its values', async () => {
    const legacy = 'tenant-PLANTED-legacy-header-5555';
    await upsertProvider(
      f.handle.db,
      {
        ownerId: null,
        id: 'legacy-p',
        type: 'openai',
        endpoint: openai.url,
        enabled: true,
        adminOnly: false,
        settings: { headers: { 'X-Legacy': legacy } },
      },
      Date.now(),
    );
    const box = createSecretBox(SECRET_KEY);
    expect(await resealProviderHeaders(f.handle.db, box, Date.now())).toBe(1);
    expect(await resealProviderHeaders(f.handle.db, box, Date.now())).toBe(0);
    expect(JSON.stringify(await dumpRawRows(f.handle.db))).not.toContain(legacy);
    const stored = await findProvider(f.handle.db, null, 'legacy-p');
    expect(providerHeadersOf(stored!.settings, (sealed) => box.decrypt(sealed))).toEqual({ 'X-Legacy': legacy });
  });
});
