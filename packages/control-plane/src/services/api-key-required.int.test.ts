import { loadSnapshot } from '@aisbf/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createControlPlaneFixture,
  FIXTURE_ADMIN_TOKEN,
  type ControlPlaneFixture,
} from '../test-support/control-plane-fixture';

const IMPORT =
  'mutation($owner: String, $kind: ConfigKind!, $doc: JSON!) { importConfig(owner: $owner, kind: $kind, document: $doc) { created updated } }';

/** docs/context.md "Keys": a provider with `api_key_required: true` is refused at save without a key. */
describe('api_key_required at save time', () => {
  let f: ControlPlaneFixture;
  beforeAll(async () => {
    f = await createControlPlaneFixture('sqlite::memory:');
    await f.insertUser('alice');
  });
  afterAll(async () => f?.close());

  const doc = (provider: Record<string, unknown>): unknown => ({
    providers: {
      cloud: { id: 'cloud', type: 'openai', endpoint: 'https://api.example.com/v1', models: ['m'], ...provider },
    },
  });
  const save = (provider: Record<string, unknown>) =>
    f.gql(FIXTURE_ADMIN_TOKEN, IMPORT, { owner: 'alice', kind: 'PROVIDERS', doc: doc(provider) });

  it('refuses a provider that requires a key and has none, naming the path; nothing is stored', async () => {
    const refused = await save({ api_key_required: true });
    expect(refused.data).toBeNull();
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_REQUEST', path: 'providers.cloud.api_key' });
    expect(refused.errors?.[0]?.message).toContain('api_key_required: true');
    expect((await loadSnapshot(f.handle.db)).providers).toHaveLength(0);
  });

  it('accepts it with a key, keeps the stored key when a later save omits it, and refuses clearing it', async () => {
    expect((await save({ api_key_required: true, api_key: 'sk-1' })).data?.['importConfig']).toEqual({
      created: ['cloud'],
      updated: [],
    });
    expect((await save({ api_key_required: true, models: ['m', 'n'] })).errors).toBeUndefined();
    const [stored] = (await loadSnapshot(f.handle.db)).providers;
    expect(stored).toMatchObject({ id: 'cloud', apiKeyRequired: true, apiKeyEnc: expect.any(String) as string });
    const cleared = await save({ api_key_required: true, api_key: '' });
    expect(cleared.errors?.[0]?.extensions).toMatchObject({ path: 'providers.cloud.api_key' });
    expect((await loadSnapshot(f.handle.db)).providers[0]!.apiKeyEnc).toEqual(stored!.apiKeyEnc);
  });

  it('a provider that needs no key saves without one', async () => {
    const ok = await f.gql(FIXTURE_ADMIN_TOKEN, IMPORT, {
      owner: 'alice',
      kind: 'PROVIDERS',
      doc: {
        providers: { lan: { id: 'lan', type: 'ollama', endpoint: 'http://10.0.0.5:11434', api_key_required: false } },
      },
    });
    expect(ok.errors).toBeUndefined();
  });
});
