import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createControlPlaneFixture, FIXTURE_ADMIN_TOKEN } from '../test-support/control-plane-fixture';
import { defineGraphqlSuite, UPSERT_PROVIDER } from '../test-support/graphql-suite';
import { printSortedSchema } from './create-graphql';

defineGraphqlSuite('sqlite', async () => 'sqlite::memory:');

describe('GraphQL SDL', () => {
  it('matches the committed, sorted schema.graphql (regenerate with src/graphql/write-sdl.ts)', () => {
    const committed = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');
    expect(printSortedSchema()).toBe(committed);
  });
});

describe('GraphQL error masking', () => {
  it('masks unexpected errors and keeps their details out of the reply', async () => {
    const f = await createControlPlaneFixture('sqlite::memory:', {
      jobs: {
        discoverModels: async () => {
          throw new Error('db password is hunter2');
        },
      },
    });
    try {
      await f.gql(FIXTURE_ADMIN_TOKEN, UPSERT_PROVIDER, {
        input: { id: 'p', type: 'openai', endpoint: 'http://127.0.0.1:9/v1' },
      });
      const r = await f.gql(FIXTURE_ADMIN_TOKEN, 'mutation { discoverModels(providerId: "p") { models } }');
      expect(r.errors?.[0]?.extensions?.['code']).toBe('INTERNAL');
      expect(JSON.stringify(r)).not.toContain('hunter2');
    } finally {
      await f.close();
    }
  });
});

describe('GraphQL upsert warnings', () => {
  it('upserts of providers and rotations return unknown keys as warnings with a suggestion', async () => {
    const f = await createControlPlaneFixture('sqlite::memory:');
    try {
      const provider = await f.gql(
        FIXTURE_ADMIN_TOKEN,
        'mutation($input: ProviderInput!) { upsertProvider(input: $input) { id warnings { path message } } }',
        { input: { id: 'p', type: 'openai', endpoint: 'http://127.0.0.1:9/v1', settings: { max_concurency: 2 } } },
      );
      expect(provider.errors).toBeUndefined();
      expect(JSON.stringify(provider.data)).toMatch(
        /unknown key \\"max_concurency\\" \(did you mean \\"max_concurrency\\"\?\)/,
      );
      const rotation = await f.gql(
        FIXTURE_ADMIN_TOKEN,
        'mutation($config: JSON!) { upsertRotation(id: "r", config: $config) { id warnings { path message } } }',
        { config: { providers: [{ provider_id: 'p', model: 'm', wieght: 5 }] } },
      );
      expect(rotation.errors).toBeUndefined();
      expect(JSON.stringify(rotation.data)).toContain('did you mean \\"weight\\"');
      // A read carries no warnings: they belong to the write that saw the document.
      const read = await f.gql(FIXTURE_ADMIN_TOKEN, '{ rotations { id warnings { path } } }');
      expect(read.data).toEqual({ rotations: [{ id: 'r', warnings: [] }] });
    } finally {
      await f.close();
    }
  });
});
