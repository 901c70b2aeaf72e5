import type { ConfigChange } from '@aisbf/core';
import { createDatabase, insertUser, migrateToLatest, withConfigChange, type DatabaseHandle } from '@aisbf/db';
import { createSecretBox, generateSecretKey } from '@aisbf/secrets';
import { createControlPlane, type ControlPlane, type ControlPlaneDeps } from '../app';
import { createInProcessJobRunner } from '../in-process-job-runner';
import { createLoginRateLimiter } from '../services/login-rate-limiter';

export const FIXTURE_ADMIN_TOKEN = 'aisbf_fixture-admin-token-0123456789abcdefghijklmn';

export interface ControlPlaneFixture {
  handle: DatabaseHandle;
  cp: ControlPlane;
  changes: ConfigChange[];
  /** POSTs a GraphQL operation with a bearer token through yoga's fetch. */
  gql(
    token: string | null,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  }>;
  /** A password-less user inserted directly (scrypt is slow); returns the id. */
  insertUser(username: string): Promise<string>;
  close(): Promise<void>;
}

export async function createControlPlaneFixture(
  url: string,
  overrides: Partial<ControlPlaneDeps> = {},
): Promise<ControlPlaneFixture> {
  const handle = createDatabase(url);
  await migrateToLatest(handle.db);
  const secretBox = createSecretBox(generateSecretKey());
  const changes: ConfigChange[] = [];
  const publish = async (change: ConfigChange) => void changes.push(change);
  const cp = createControlPlane({
    db: handle.db,
    secretBox,
    publisher: { publish },
    jobs: createInProcessJobRunner({ db: handle.db, secretBox, publish }),
    loginLimiter: createLoginRateLimiter({ maxFailures: 3 }),
    ...overrides,
  });
  await cp.services.users.ensureAdmin({ password: 'fixture-admin-password', token: FIXTURE_ADMIN_TOKEN });
  return {
    handle,
    cp,
    changes,
    async gql(token, query, variables) {
      const response = await cp.fetch(
        new Request('http://cp.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ query, variables }),
        }),
      );
      return (await response.json()) as Awaited<ReturnType<ControlPlaneFixture['gql']>>;
    },
    async insertUser(username) {
      const { value } = await withConfigChange(handle.db, (trx) =>
        insertUser(trx, { username, passwordHash: null, role: 'user', now: Date.now() }),
      );
      return value.id;
    },
    async close() {
      await cp.close();
      await handle.close();
    },
  };
}
