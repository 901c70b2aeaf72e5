import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createSecurityFixture, type SecurityFixture } from './security-fixture';

// 320 aliases of one field, four such requests at once, held one node's event loop long enough to
// slow another user's /healthz to 2.4 s: GraphQL had no alias or cost limit. Both are validation
// rules now (graphql-armor's), so such a document is refused before any resolver runs.
let f: SecurityFixture;
let resolverCalls = 0;

beforeAll(async () => {
  f = await createSecurityFixture();
  const list = f.cp.services.providers.list.bind(f.cp.services.providers);
  f.cp.services.providers.list = async (...args) => {
    resolverCalls += 1;
    return list(...args);
  };
}, 60_000);

afterAll(async () => {
  await f?.close();
});

const aliased = (n: number): string =>
  `{ ${Array.from({ length: n }, (_, i) => `p${i}: providers { id }`).join(' ')} }`;

describe('GraphQL alias and cost limits', () => {
  it('320 aliases, four at once, are refused as a validation error and run no resolver', async () => {
    resolverCalls = 0;
    const replies = await Promise.all(Array.from({ length: 4 }, () => f.gql(ADMIN_TOKEN, aliased(320))));
    for (const reply of replies) {
      expect(reply.status).toBeLessThan(500);
      expect(reply.body.data ?? null).toBeNull();
      expect(reply.body.errors?.[0]?.message).toMatch(/Aliases limit of 15 exceeded, found 320/);
      expect(reply.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    }
    expect(resolverCalls).toBe(0);
  });

  it('15 aliases still answer (the limit is not a blanket refusal)', async () => {
    resolverCalls = 0;
    const reply = await f.gql(ADMIN_TOKEN, aliased(15));
    expect(reply.body.errors, reply.text).toBeUndefined();
    expect(resolverCalls).toBe(15);
  });

  it('a fragment that doubles itself 14 times is refused by cost', async () => {
    const fragments = ['fragment F0 on Query { providers { id } }'];
    for (let i = 1; i <= 14; i++) fragments.push(`fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`);
    const reply = await f.gql(ADMIN_TOKEN, `{ ...F14 } ${fragments.join(' ')}`);
    expect(reply.body.errors?.[0]?.message).toMatch(/Cost limit of 5000 exceeded/);
    expect(reply.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
