import {
  CompiledQuery,
  createQueryId,
  sql,
  type Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import type { Database } from '@aisbf/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessJobRunner } from '../in-process-job-runner';
import { ADMIN_TOKEN, createServicesFixture, DIALECTS, type ServicesFixture } from '../test-support/services-fixture';
import { createServices } from './create-services';
import { createLoginRateLimiter } from './login-rate-limiter';

const USERS = 5_000;

/** Keeps every statement a Kysely instance runs, so a test can EXPLAIN what a service really sent. */
class QueryRecorder implements KyselyPlugin {
  readonly nodes: RootOperationNode[] = [];
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.nodes.push(args.node);
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

async function seedUsers(db: Kysely<Database>): Promise<void> {
  const now = Date.now();
  for (let first = 0; first < USERS; first += 500)
    await db
      .insertInto('users')
      .values(
        Array.from({ length: 500 }, (_, i) => ({
          id: `00000000-0000-4000-8000-${String(first + i).padStart(12, '0')}`,
          username: `u${String(first + i).padStart(5, '0')}`,
          password_hash: null,
          role: 'user' as const,
          disabled: 0,
          limits: null,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
}

/**
 * docs/control-plane.md "Boot": every boot's `ensureAdmin` finds the admin by the `(role,
 * username)` index; before, it counted the admins by reading the users table whole, and registering
 * a bootstrap token for an admin of another name listed every user.
 */
describe.each(DIALECTS)('ensureAdmin on %s', (dialect, makeUrl) => {
  let f: ServicesFixture;
  const recorder = new QueryRecorder();
  beforeAll(async () => {
    f = await createServicesFixture(await makeUrl());
    await seedUsers(f.handle.db);
    if (dialect === 'mysql') await sql`ANALYZE TABLE users`.execute(f.handle.db);
    else await sql`ANALYZE`.execute(f.handle.db);
  }, 60_000);
  afterAll(async () => f?.close());

  /** The plan of every statement on `users` the recorder saw, one string per statement. */
  async function usersPlans(db: Kysely<Database>): Promise<string[]> {
    const plans: string[] = [];
    for (const node of recorder.nodes) {
      if (node.kind !== 'SelectQueryNode') continue;
      const compiled = db.getExecutor().compileQuery(node, createQueryId());
      if (!/from [`"]users[`"]/.test(compiled.sql)) continue;
      const prefix = dialect === 'sqlite' ? 'EXPLAIN QUERY PLAN ' : 'EXPLAIN ';
      const rows = (await db.executeQuery(CompiledQuery.raw(prefix + compiled.sql, [...compiled.parameters])))
        .rows as Array<Record<string, unknown>>;
      plans.push(
        dialect === 'sqlite'
          ? rows.map((r) => String(r['detail'])).join('; ')
          : rows
              .map((r) => `${String(r['type'])} ${String(r['key'])} rows=${String(r['rows'])} ${String(r['Extra'])}`)
              .join('; '),
      );
    }
    return plans;
  }

  it('reads one index entry, not the users table, whether it has anything to do or not', async () => {
    // Services over a recording view of the fixture's database.
    const db = f.handle.db.withPlugin(recorder);
    const services = createServices({
      db,
      secretBox: f.secretBox,
      publisher: { publish: async () => undefined },
      jobs: createInProcessJobRunner({ db, secretBox: f.secretBox, publish: async () => undefined }),
      sessions: f.sessions,
      loginLimiter: createLoginRateLimiter({ maxFailures: 2 }),
    });
    // A restart: the admin and its token exist, nothing to do.
    await expect(services.users.ensureAdmin({ password: 'admin-password-1', token: ADMIN_TOKEN })).resolves.toEqual({
      created: false,
      username: 'admin',
      tokenRegistered: false,
    });
    // A new bootstrap token named for an admin called otherwise: it goes to the existing admin.
    const token = `aisbf_${'n'.repeat(40)}`;
    await expect(services.users.ensureAdmin({ token, username: 'root' })).resolves.toEqual({
      created: false,
      username: 'root',
      tokenRegistered: true,
    });
    expect((await services.auth.authenticateToken(token))?.username).toBe('admin');

    const plans = await usersPlans(f.handle.db);
    expect(plans.length).toBeGreaterThanOrEqual(3);
    for (const plan of plans)
      if (dialect === 'sqlite')
        expect(plan).toMatch(/^SEARCH users USING (COVERING )?INDEX \S+ \((role|username|id)=\?\)$/);
      // A unique key that matched nothing reads as "Impossible WHERE … after reading const tables".
      else
        expect(plan).toMatch(
          /^((ref|const|eq_ref) (users_role_idx|username|PRIMARY) rows=[1-9] |null null rows=null Impossible WHERE noticed after reading const tables$)/,
        );
  });
});
