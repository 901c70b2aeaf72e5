import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEndpointPolicy, type EndpointPolicyInput } from '@aisbf/core';
import { startMockGemini, startMockOllama } from '@aisbf/testkit';
import {
  createControlPlaneFixture,
  FIXTURE_ADMIN_TOKEN,
  type ControlPlaneFixture,
} from '../test-support/control-plane-fixture';

const UPSERT =
  'mutation($owner: String, $input: ProviderInput!) { upsertProvider(owner: $owner, input: $input) { id type endpoint } }';

/** Public DNS answers without the network: every vendor host "resolves" to a public address. */
const resolveHost = async (name: string): Promise<string[]> =>
  name === 'localhost' ? ['127.0.0.1'] : ['93.184.216.34'];

async function fixture(allow: EndpointPolicyInput['allow']): Promise<ControlPlaneFixture> {
  const f = await createControlPlaneFixture('sqlite::memory:', {
    endpointCheck: { policy: resolveEndpointPolicy({ allow }), resolveHost },
  });
  await f.insertUser('alice');
  return f;
}

const upsert = (f: ControlPlaneFixture, owner: string, input: Record<string, unknown>) =>
  f.gql(FIXTURE_ADMIN_TOKEN, UPSERT, { owner, input: { id: 'p1', endpoint: '', ...input } });

describe('provider types and their default endpoints (docs/providers.md)', () => {
  let open: ControlPlaneFixture;
  let lanOnly: ControlPlaneFixture;
  beforeAll(async () => {
    [open, lanOnly] = await Promise.all([fixture(['lan', 'public']), fixture(['lan'])]);
  });
  afterAll(async () => Promise.all([open?.close(), lanOnly?.close()]));

  it.each([
    ['google', 'google', 'https://generativelanguage.googleapis.com'],
    ['gemini', 'google', 'https://generativelanguage.googleapis.com'],
    ['groq', 'groq', 'https://api.groq.com/openai/v1'],
    ['together_ai', 'together_ai', 'https://api.together.xyz/v1'],
    ['Mistral', 'mistral', 'https://api.mistral.ai/v1'],
    ['deepseek', 'deepseek', 'https://api.deepseek.com'],
    ['openrouter', 'openrouter', 'https://openrouter.ai/api/v1'],
    ['xai', 'xai', 'https://api.x.ai/v1'],
    ['fireworks', 'fireworks', 'https://api.fireworks.ai/inference/v1'],
  ])('type %s with an empty endpoint is stored as %s at %s', async (type, stored, endpoint) => {
    const r = await upsert(open, 'alice', { type, apiKey: 'k' });
    expect(r.errors).toBeUndefined();
    expect(r.data?.['upsertProvider']).toEqual({ id: 'p1', type: stored, endpoint });
  });

  it('keeps an endpoint the user gave, trailing slash trimmed', async () => {
    const r = await upsert(open, 'alice', { type: 'ollama', endpoint: 'http://10.0.0.5:11434/' });
    expect(r.data?.['upsertProvider']).toEqual({ id: 'p1', type: 'ollama', endpoint: 'http://10.0.0.5:11434' });
  });

  it("applies the endpoint policy to a preset's default: a public default needs `public` allowed", async () => {
    const refused = await upsert(lanOnly, 'alice', { type: 'groq', apiKey: 'k' });
    expect(refused.data).toBeNull();
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_REQUEST', path: 'endpoint' });
    expect(refused.errors?.[0]?.message).toMatch(/public/);
    // A local default (LM Studio on localhost) is loopback: refused for a user unless loopback is allowed.
    const local = await upsert(open, 'alice', { type: 'lm_studio' });
    expect(local.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_REQUEST', path: 'endpoint' });
    // Global providers are the admin's and are not checked (docs/endpoint-policy.md).
    const global = await upsert(lanOnly, 'GLOBAL', { type: 'ollama' });
    expect(global.data?.['upsertProvider']).toEqual({ id: 'p1', type: 'ollama', endpoint: 'http://localhost:11434' });
  });

  it('needs an endpoint for openai, and names the supported types for an unknown one', async () => {
    const missing = await upsert(open, 'alice', { type: 'openai' });
    expect(missing.errors?.[0]?.message).toMatch(/endpoint is required for type openai/);
    const unknown = await upsert(open, 'alice', { type: 'bedrock', endpoint: 'https://x.example/v1' });
    expect(unknown.errors?.[0]?.message).toMatch(
      /unsupported provider type "bedrock" \(supported: openai, anthropic, google, ollama, groq/,
    );
  });

  it("tests a provider with its type's own model list and key header (the dashboard's Test button)", async () => {
    const local = await fixture(['loopback', 'lan', 'public']);
    const gemini = await startMockGemini({ apiKey: 'AIza-test-key' });
    const ollama = await startMockOllama();
    try {
      const aliceId = (
        await local.handle.db.selectFrom('users').select('id').where('username', '=', 'alice').executeTakeFirstOrThrow()
      ).id;
      const alice = { userId: aliceId, username: 'alice', role: 'user' as const, via: { kind: 'system' as const } };
      const providers = local.cp.services.providers;
      await providers.upsert(alice, {
        input: { id: 'gem', type: 'gemini', endpoint: gemini.url, apiKey: 'AIza-test-key' },
      });
      await providers.upsert(alice, { input: { id: 'llama', type: 'ollama', endpoint: ollama.url } });
      await expect(providers.test(alice, { id: 'gem' })).resolves.toMatchObject({ ok: true, status: 200 });
      expect(gemini.requests.at(-1)).toMatchObject({
        path: '/v1beta/models',
        headers: { 'x-goog-api-key': 'AIza-test-key' },
      });
      await expect(providers.test(alice, { id: 'llama' })).resolves.toMatchObject({ ok: true, status: 200 });
      expect(ollama.requests.at(-1)).toMatchObject({ method: 'GET', path: '/api/tags' });
      await providers.upsert(alice, {
        input: { id: 'gem', type: 'google', endpoint: gemini.url, apiKey: 'wrong-key' },
      });
      await expect(providers.test(alice, { id: 'gem' })).resolves.toMatchObject({ ok: false, status: 400 });
    } finally {
      await Promise.all([gemini.close(), ollama.close(), local.close()]);
    }
  });
});
