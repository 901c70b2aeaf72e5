import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_AUTOSELECTS, SEED_ROTATIONS, startMockUpstream, type MockUpstream } from '@aisbf/testkit';
import { graphql, spawnAisbf, type AisbfProcess } from '../support/spawn-aisbf';

// The README walkthrough, end to end: `aisbf start` as a real process, driven by a GraphQL script
// holding only the admin token (AISBF_ADMIN_TOKEN), then the official openai SDK as the app.
const ADMIN_TOKEN = 'aisbf_e2eAdminToken0123456789abcdefghijklmnop';

let aisbf: AisbfProcess;
let dataDir: string;
const mocks: Record<string, MockUpstream> = {};
let aliceToken = '';
let bobToken = '';

const PROVIDERS = [
  { id: 'coderai-local', type: 'OpenAI-compatible', model: 'qwen2.5-coder:32b', key: 'coderai-broker-token-1234' },
  { id: 'runpod-gpu-a', type: 'openai', model: 'deepseek-coder-v2', key: 'rp-key-abcdefgh5678' },
  { id: 'openai-prod', type: 'openai', model: 'gpt-4.1-mini', key: 'sk-prod-zyxwvutsrq9999' },
];

beforeAll(async () => {
  for (const p of PROVIDERS)
    mocks[p.id] = await startMockUpstream({ models: [p.model, 'general-model'], words: 12, apiKey: p.key });
  dataDir = mkdtempSync(join(tmpdir(), 'aisbf-e2e-'));
  aisbf = await spawnAisbf(
    'start',
    { AISBF_DATA_DIR: dataDir, AISBF_ADMIN_TOKEN: ADMIN_TOKEN, AISBF_HOST: '127.0.0.1' },
    { args: ['--port', '0'] },
  );
}, 120_000);

afterAll(async () => {
  const code = await aisbf?.stop();
  expect(code).toBe(0);
  await Promise.all(Object.values(mocks).map((m) => m.close()));
  rmSync(dataDir, { recursive: true, force: true });
});

describe('aisbf start, driven by GraphQL with only the admin token', () => {
  it('creates users and tokens; the plaintext token is returned once', async () => {
    for (const username of ['alice', 'bob']) {
      const created = await graphql(
        aisbf.url,
        ADMIN_TOKEN,
        'mutation($u: String!) { createUser(username: $u) { username role } }',
        { u: username },
      );
      expect(created.errors).toBeUndefined();
      expect(created.data).toEqual({ createUser: { username, role: 'USER' } });
    }
    const alice = await graphql<{ createApiToken: { id: string; token: string } }>(
      aisbf.url,
      ADMIN_TOKEN,
      'mutation { createApiToken(owner: "alice", name: "laptop") { id token } }',
    );
    const bob = await graphql<{ createApiToken: { id: string; token: string } }>(
      aisbf.url,
      ADMIN_TOKEN,
      'mutation { createApiToken(owner: "bob", name: "ci") { id token } }',
    );
    aliceToken = alice.data!.createApiToken.token;
    bobToken = bob.data!.createApiToken.token;
    expect(aliceToken).toMatch(/^aisbf_/);
    const listed = await graphql<{ apiTokens: Array<Record<string, unknown>> }>(
      aisbf.url,
      ADMIN_TOKEN,
      '{ apiTokens(owner: "alice") { id name hint } }',
    );
    expect(JSON.stringify(listed.data)).not.toContain(aliceToken);
  });

  it('adds the seed providers for alice and imports the seed documents verbatim', async () => {
    for (const p of PROVIDERS) {
      const result = await graphql<{ upsertProvider: { id: string; apiKeyHint: string | null } }>(
        aisbf.url,
        ADMIN_TOKEN,
        'mutation($i: ProviderInput!) { upsertProvider(owner: "alice", input: $i) { id apiKeyHint } }',
        {
          i: { id: p.id, type: p.type, endpoint: mocks[p.id]!.url, apiKey: p.key, models: [p.model, 'general-model'] },
        },
      );
      expect(result.errors).toBeUndefined();
      expect(result.data!.upsertProvider.apiKeyHint).not.toContain(p.key);
    }
    // The seed's autoselect names "general" as its selection model: give alice that rotation.
    const general = await graphql(
      aisbf.url,
      ADMIN_TOKEN,
      'mutation($c: JSON!) { upsertRotation(owner: "alice", id: "general", config: $c) { id } }',
      {
        c: { providers: [{ provider_id: 'openai-prod', model: 'general-model', weight: 1, error_cooldown: 30 }] },
      },
    );
    expect(general.errors).toBeUndefined();
    const rotations = await graphql<{ importConfig: { created: string[] } }>(
      aisbf.url,
      ADMIN_TOKEN,
      'mutation($d: JSON!) { importConfig(owner: "alice", kind: ROTATIONS, document: $d) { created updated } }',
      { d: SEED_ROTATIONS },
    );
    expect(rotations.errors).toBeUndefined();
    expect(rotations.data!.importConfig.created).toEqual(['coding-production']);
    const autoselects = await graphql<{ importConfig: { created: string[] } }>(
      aisbf.url,
      ADMIN_TOKEN,
      'mutation($d: JSON!) { importConfig(owner: "alice", kind: AUTOSELECTS, document: $d) { created updated } }',
      { d: SEED_AUTOSELECTS },
    );
    expect(autoselects.errors).toBeUndefined();
    expect(autoselects.data!.importConfig.created).toEqual(['engineering']);
  });

  it('serves user-rotation/coding-production to alice through the openai SDK (stream and not)', async () => {
    const client = new OpenAI({ baseURL: `${aisbf.url}/api/u/alice`, apiKey: aliceToken, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'user-rotation/coding-production', messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe('w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12');
    expect(response.headers.get('x-aisbf-provider')).toBe('coderai-local');
    expect(response.headers.get('x-aisbf-model')).toBe('qwen2.5-coder:32b');
    // The provider's key went upstream; alice's token did not.
    const seen = mocks['coderai-local']!.requests.at(-1)!;
    expect(seen.headers['authorization']).toBe('Bearer coderai-broker-token-1234');
    expect(JSON.stringify(seen.headers)).not.toContain(aliceToken);

    const stream = await client.chat.completions.create({
      model: 'user-rotation/coding-production',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12');

    const v1 = new OpenAI({ baseURL: `${aisbf.url}/v1`, apiKey: aliceToken, maxRetries: 0 });
    const models = (await v1.models.list()).data.map((m) => m.id);
    expect(models).toEqual(
      expect.arrayContaining([
        'user-rotation/coding-production',
        'user-autoselect/engineering',
        'user-provider/coderai-local/qwen2.5-coder:32b',
      ]),
    );
  });

  it('serves a rotation whose first entry is the seed autoselect (a meta entry), created through GraphQL, to the SDK', async () => {
    const front = await graphql(
      aisbf.url,
      ADMIN_TOKEN,
      'mutation($c: JSON!) { upsertRotation(owner: "alice", id: "front", config: $c) { id } }',
      {
        c: {
          providers: [
            { route: 'user-autoselect/engineering', weight: 5 },
            { provider_id: 'openai-prod', model: 'gpt-4.1-mini', weight: 1 },
          ],
        },
      },
    );
    expect(front.errors).toBeUndefined();
    const client = new OpenAI({ baseURL: `${aisbf.url}/v1`, apiKey: aliceToken, maxRetries: 0 });
    const before = mocks['openai-prod']!.requests.length;
    // Private: the autoselect keeps it on its private route (coding-production → coderai-local).
    const { data, response } = await client.chat.completions
      .create({
        model: 'user-rotation/front',
        messages: [{ role: 'user', content: 'my email is jane.doe@acme-corp.de, fix the SMTP config' }],
      })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe('w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12');
    expect([
      response.headers.get('x-aisbf-route'),
      response.headers.get('x-aisbf-provider'),
      response.headers.get('x-aisbf-autoselect-reason'),
    ]).toEqual(['user-rotation/front', 'coderai-local', 'privacy']);
    expect(mocks['openai-prod']!.requests.length).toBe(before);
    const stream = await client.chat.completions.create({
      model: 'user-rotation/front',
      messages: [{ role: 'user', content: 'my email is jane.doe@acme-corp.de' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12');
  });

  it('keeps alice out of bob: typed FORBIDDEN on GraphQL, 403 on /api/u/bob', async () => {
    const read = await graphql(aisbf.url, aliceToken, '{ providers(owner: "bob") { id } }');
    expect(read.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const write = await graphql(aisbf.url, aliceToken, 'mutation { deleteRotation(owner: "bob", id: "x") }');
    expect(write.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const client = new OpenAI({ baseURL: `${aisbf.url}/api/u/bob`, apiKey: aliceToken, maxRetries: 0 });
    const error = await client.chat.completions
      .create({ model: 'user-rotation/coding-production', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    // bob cannot call alice's rotation by name either: it does not exist in his scope.
    const bobClient = new OpenAI({ baseURL: `${aisbf.url}/v1`, apiKey: bobToken, maxRetries: 0 });
    const missing = await bobClient.chat.completions
      .create({ model: 'user-rotation/coding-production', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('stops serving a revoked token at once', async () => {
    const created = await graphql<{ createApiToken: { id: string; token: string } }>(
      aisbf.url,
      ADMIN_TOKEN,
      'mutation { createApiToken(owner: "alice", name: "temp") { id token } }',
    );
    const { id, token } = created.data!.createApiToken;
    const client = new OpenAI({ baseURL: `${aisbf.url}/v1`, apiKey: token, maxRetries: 0 });
    await expect(client.models.list()).resolves.toBeDefined();
    const revoked = await graphql(aisbf.url, ADMIN_TOKEN, 'mutation($id: ID!) { revokeApiToken(id: $id) }', { id });
    expect(revoked.errors).toBeUndefined();
    await expect(client.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
