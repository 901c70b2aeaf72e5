import type { ConfigChange } from '@aisbf/core';
import { createDatabase, insertUser, migrateToLatest, withConfigChange, type DatabaseHandle } from '@aisbf/db';
import { createSecretBox, generateSecretKey, type SecretBox } from '@aisbf/secrets';
import { createTestMysqlDatabase } from '@aisbf/testkit';
import { createInProcessJobRunner } from '../in-process-job-runner';
import { createMemorySessionStore } from '../memory-session-store';
import type { SessionStore } from '../ports';
import type { Actor } from '../services/actor';
import { createServices, type CreateServicesDeps, type Services } from '../services/create-services';
import { createLoginRateLimiter } from '../services/login-rate-limiter';

export const DIALECTS: Array<[string, () => Promise<string>]> = [
  ['sqlite', async () => 'sqlite::memory:'],
  ['mysql', () => createTestMysqlDatabase('cp')],
];

export interface ServicesFixture {
  handle: DatabaseHandle;
  services: Services;
  secretBox: SecretBox;
  sessions: SessionStore;
  changes: ConfigChange[];
  admin: Actor;
  adminToken: string;
  /** Creates a password-less user straight in the database (scrypt is slow; login tests make their own). */
  user(username: string): Promise<Actor>;
  close(): Promise<void>;
}

export const ADMIN_TOKEN = 'aisbf_test-admin-token-0123456789abcdefghijklmnop';

/** A migrated database, the services over it, an admin (bootstrapped with a token) and helpers. */
export async function createServicesFixture(
  url: string,
  overrides: Partial<CreateServicesDeps> = {},
): Promise<ServicesFixture> {
  const handle = createDatabase(url);
  await migrateToLatest(handle.db);
  const secretBox = createSecretBox(generateSecretKey());
  const changes: ConfigChange[] = [];
  const publisher = { publish: async (change: ConfigChange) => void changes.push(change) };
  const sessions = createMemorySessionStore();
  const services = createServices({
    db: handle.db,
    secretBox,
    publisher,
    jobs: createInProcessJobRunner({ db: handle.db, secretBox, publish: publisher.publish }),
    sessions,
    loginLimiter: createLoginRateLimiter({ maxFailures: 2 }),
    ...overrides,
  });
  await services.users.ensureAdmin({ password: 'admin-password-1', token: ADMIN_TOKEN });
  const admin = await services.auth.authenticateToken(ADMIN_TOKEN);
  if (admin === null) throw new Error('bootstrap token does not authenticate');
  return {
    handle,
    services,
    secretBox,
    sessions,
    changes,
    admin,
    adminToken: ADMIN_TOKEN,
    async user(username) {
      const { value: user } = await withConfigChange(handle.db, (trx) =>
        insertUser(trx, { username, passwordHash: null, role: 'user', now: Date.now() }),
      );
      return { userId: user.id, username: user.username, role: user.role, via: { kind: 'system' } };
    },
    async close() {
      await sessions.close();
      await handle.close();
    },
  };
}
