import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '@aisbf/testkit';
import { graphql, spawnAisbf, type AisbfProcess } from '../support/spawn-aisbf';

// docs/context.md "Keys": AISBF's own providers.json and rotations.json forms imported through
// GraphQL into a running `aisbf start`, then served: the resolved max_tokens is what the upstream gets.
const ADMIN_TOKEN = 'aisbf_e2eAdminToken0123456789abcdefghijklmnop';
const IMPORT = (kind: string): string =>
  `mutation($d: JSON!) { importConfig(owner: "alice", kind: ${kind}, document: $d) { created updated warnings { path message } } }`;

let aisbf: AisbfProcess;
let dataDir: string;
const mocks: Record<string, MockUpstream> = {};
let aliceToken = '';

beforeAll(async () => {
  mocks['cloud'] = await startMockUpstream({ models: ['gpt-4.1-mini', 'plain-model'], apiKey: 'sk-cloud-1234' });
  mocks['lan'] = await startMockUpstream({ models: ['qwen2.5-coder:32b'] });
  dataDir = mkdtempSync(join(tmpdir(), 'aisbf-forms-'));
  aisbf = await spawnAisbf(
    'start',
    { AISBF_DATA_DIR: dataDir, AISBF_ADMIN_TOKEN: ADMIN_TOKEN, AISBF_HOST: '127.0.0.1' },
    { args: ['--port', '0'] },
  );
  await graphql(aisbf.url, ADMIN_TOKEN, 'mutation { createUser(username: "alice") { username } }');
  const token = await graphql<{ createApiToken: { token: string } }>(
    aisbf.url,
    ADMIN_TOKEN,
    'mutation { createApiToken(owner: "alice", name: "app") { token } }',
  );
  aliceToken = token.data!.createApiToken.token;
}, 120_000);

afterAll(async () => {
  expect(await aisbf?.stop()).toBe(0);
  await Promise.all(Object.values(mocks).map((m) => m.close()));
  rmSync(dataDir, { recursive: true, force: true });
});

/** AISBF's providers.json shape: keyed by id, the default_* family, models with their own keys. */
const providersJson = (): unknown => ({
  providers: {
    cloud: {
      id: 'cloud',
      name: 'Hosted',
      endpoint: mocks['cloud']!.url,
      type: 'openai',
      api_key_required: true,
      api_key: 'sk-cloud-1234',
      rate_limit: 0,
      default_max_tokens: 321,
      default_context_size: 128000,
      default_condense_context: 80,
      default_condense_method: 'sliding_window',
      models: [
        {
          name: 'gpt-4.1-mini',
          rate_limit: 0,
          max_request_tokens: 100000,
          rate_limit_TPM: 15000,
          context_size: 128000,
          condense_context: 80,
          condense_method: ['hierarchical', 'sliding_window'],
          capabilities: ['t2t', 'function_calling'],
        },
        { name: 'plain-model' },
      ],
    },
    lan: {
      id: 'lan',
      name: 'LAN broker',
      endpoint: mocks['lan']!.url,
      type: 'openai',
      api_key_required: false,
      rate_limit: 0,
      models: [{ name: 'qwen2.5-coder:32b', max_tokens: 222, context_size: 32768 }],
    },
  },
});

/** AISBF's rotations.json shape: top-level notify keys, entries with a models list, an entry without one. */
const rotationsJson = {
  notifyerrors: false,
  notify_on_failover: true,
  rotations: {
    coding: {
      model_name: 'coding',
      providers: [
        {
          provider_id: 'cloud',
          models: [
            { name: 'gpt-4.1-mini', weight: 3, rate_limit: 0, max_tokens: 111 },
            { name: 'plain-model', weight: 1, rate_limit: 0 },
          ],
        },
        { provider_id: 'lan', weight: 1 },
      ],
    },
    general: { model_name: 'general', providers: [{ provider_id: 'lan' }] },
  },
};

const chat = async (model: string): Promise<unknown> => {
  const res = await fetch(`${aisbf.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${aliceToken}` },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  expect(res.status).toBe(200);
  return res.headers.get('x-aisbf-provider');
};
const sentMaxTokens = (mock: string): unknown =>
  (mocks[mock]!.requests.at(-1)!.body as Record<string, unknown>)['max_tokens'];

describe("AISBF's providers.json and rotations.json forms on a running aisbf start", () => {
  it('imports both documents through GraphQL importConfig', async () => {
    const providers = await graphql<{ importConfig: { created: string[] } }>(
      aisbf.url,
      ADMIN_TOKEN,
      IMPORT('PROVIDERS'),
      {
        d: providersJson(),
      },
    );
    expect(providers.errors).toBeUndefined();
    expect(providers.data!.importConfig.created.sort()).toEqual(['cloud', 'lan']);
    const rotations = await graphql<{ importConfig: { created: string[] } }>(
      aisbf.url,
      ADMIN_TOKEN,
      IMPORT('ROTATIONS'),
      {
        d: rotationsJson,
      },
    );
    expect(rotations.errors).toBeUndefined();
    expect(rotations.data!.importConfig.created.sort()).toEqual(['coding', 'general']);
    // The top-level notify keys were copied into each rotation (it sets none of its own).
    const exported = await graphql<{
      exportConfig: { rotations: { rotations: Record<string, Record<string, unknown>> } };
    }>(aisbf.url, ADMIN_TOKEN, '{ exportConfig(owner: "alice") { rotations } }');
    expect(exported.data!.exportConfig.rotations.rotations['coding']).toMatchObject({
      notifyerrors: false,
      notify_on_failover: true,
    });
  });

  it('sends the resolved max_tokens upstream at each level', async () => {
    // The rotation's model (111) over the provider's default (321).
    expect(await chat('user-rotation/coding')).toBe('cloud');
    expect(sentMaxTokens('cloud')).toBe(111);
    // A model that sets none gets the provider's default_max_tokens.
    expect(await chat('user-provider/cloud/plain-model')).toBe('cloud');
    expect(sentMaxTokens('cloud')).toBe(321);
    // An entry without `models` serves the provider's models, each with its own max_tokens.
    expect(await chat('user-rotation/general')).toBe('lan');
    expect(sentMaxTokens('lan')).toBe(222);
  });

  it('refuses a malformed entry naming its path and the expected form, and keeps the stored rotations', async () => {
    const bad = await graphql(aisbf.url, ADMIN_TOKEN, IMPORT('ROTATIONS'), {
      d: { rotations: { coding: { providers: [{ provider_id: 'cloud', models: [{ weight: 2 }] }] } } },
    });
    expect(bad.data).toBeNull();
    expect(bad.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_REQUEST',
      path: 'rotations.coding.providers[0].models[0].name',
    });
    const wrongShape = await graphql(aisbf.url, ADMIN_TOKEN, IMPORT('ROTATIONS'), {
      d: { rotations: { coding: { providers: [{ weight: 2 }] } } },
    });
    expect(wrongShape.errors?.[0]?.extensions?.path).toBe('rotations.coding.providers[0].provider_id');
    expect(wrongShape.errors?.[0]?.message).toContain('provider_id');
    const badLimit = await graphql(aisbf.url, ADMIN_TOKEN, IMPORT('PROVIDERS'), {
      d: { providers: { lan: { id: 'lan', endpoint: mocks['lan']!.url, rate_limit: -1 } } },
    });
    expect(badLimit.errors?.[0]?.extensions?.path).toBe('providers.lan.rate_limit');
    expect(await chat('user-rotation/coding')).toBe('cloud');
  });
});
