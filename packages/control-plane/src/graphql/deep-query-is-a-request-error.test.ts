import { describe, expect, it } from 'vitest';
import { createDatabase, migrateToLatest } from '@aisbf/db';
import { createSecretBox, generateSecretKey } from '@aisbf/secrets';
import { createControlPlane } from '../app';
import { createInProcessJobRunner } from '../in-process-job-runner';

// Regression (docs/security.md, finding 2): a query nested ~2,000 levels deep overflowed the
// parser's stack and came back as a masked INTERNAL error. It is a plain request error now.
describe('GraphQL document limits', () => {
  it.each([
    ['2,000 levels (token limit)', 2000, /contains more tha[nt] 2000 tokens/],
    ['30 levels (depth rule)', 30, /deeper than 20 levels/],
  ])('refuses a query nested %s as a request error', async (_label, levels, message) => {
    const handle = createDatabase('sqlite::memory:');
    await migrateToLatest(handle.db);
    const secretBox = createSecretBox(generateSecretKey());
    const publisher = { publish: async () => undefined };
    const cp = createControlPlane({
      db: handle.db,
      secretBox,
      publisher,
      jobs: createInProcessJobRunner({ db: handle.db, secretBox, publish: publisher.publish }),
    });
    try {
      const query = `{ ${'me { '.repeat(levels)}id${' }'.repeat(levels)} }`;
      const response = await cp.fetch(
        new Request('http://local/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query }),
        }),
      );
      expect(response.status).toBeLessThan(500);
      const body = (await response.json()) as { errors: Array<{ message: string; extensions?: { code?: string } }> };
      expect(body.errors.some((e) => message.test(e.message))).toBe(true);
      expect(body.errors.every((e) => e.extensions?.code !== 'INTERNAL')).toBe(true);
    } finally {
      await cp.close();
      await handle.close();
    }
  });
});
