import { createConnection } from 'mysql2/promise';
import { loadavg } from 'node:os';
import { sql, type KyselyPlugin } from 'kysely';
import { createDatabase, insertUsageEvents, listProviders, migrateToLatest } from '../../packages/db/src/index';
import { checkHealth } from '../../packages/jobs/src/index';
import { createDiscoverySweep } from '../../packages/jobs/src/discovery-sweep';
import { findActiveProviders } from '../../packages/jobs/src/active-providers';
import { readRecentTraffic } from '../../packages/jobs/src/read-traffic';
import { createSecretBox, generateSecretKey } from '../../packages/secrets/src/index';
import { startMockUpstream } from '../../packages/testkit/src/index';
import { makeUsageEvent } from '../../packages/jobs/src/test-support/usage-events';
import { createBenchDatabase } from './aisbf-targets';
import { int } from './env';
import { readScaleConfig } from './scale-env';
import { SCALE_SHAPE, scaleUsername, seedScale } from './scale-seed';

/**
 * docs/jobs.md "Only what is used" and "Discovery follows use": one periodic health run (and the
 * discovery sweep after it) over `AISBF_SCALE_USERS` generated users (2 providers each), of whom
 * `AISBF_HEALTH_ACTIVE` served one request through their rotation in the last minute. Prints the
 * run's time, its SQL statements and, for each distinct SELECT, MariaDB's EXPLAIN (index used,
 * rows examined), so two sizes with the same active set can be compared. Usage:
 * `AISBF_SCALE_USERS=100000 pnpm exec tsx test/bench/health-scale.ts`.
 */
/** How many providers each source judged, e.g. `probe 100, idle 3`. */
const sources = (checked: ReadonlyArray<{ source: string }>): string => {
  const counts = new Map<string, number>();
  for (const c of checked) counts.set(c.source, (counts.get(c.source) ?? 0) + 1);
  return [...counts].map(([source, n]) => `${source} ${n}`).join(', ');
};
const log = (line: string): void => void process.stdout.write(`[bench:health-scale] ${line}\n`);

async function main(): Promise<void> {
  const config = readScaleConfig();
  const active = int('AISBF_HEALTH_ACTIVE', 50, 1, 10_000);
  const runs = int('AISBF_HEALTH_RUNS', 5, 1, 100);
  // 1: drop migration 0008's status indexes first (the A/B of that migration).
  const withoutStatusIndex = int('AISBF_HEALTH_NO_STATUS_INDEX', 0, 0, 1) === 1;
  const upstream = await startMockUpstream({ models: [SCALE_SHAPE.model] });
  const database = await createBenchDatabase(config.mysqlUrl);
  const handle = createDatabase(database.url);
  try {
    await migrateToLatest(handle.db);
    const box = createSecretBox(generateSecretKey());
    const seed = await seedScale(handle.db, {
      users: config.users,
      endpoint: upstream.url,
      secretBox: box,
      tokenSeed: 's',
    });
    log(`seeded ${config.users} users (${seed.rows} rows) in ${(seed.ms / 1000).toFixed(1)} s`);
    // Everyone was served once yesterday: the usage table is not just the window.
    const allUsers = await handle.db.selectFrom('users').select('id').execute();
    for (let first = 0; first < allUsers.length; first += 1_000)
      await insertUsageEvents(
        handle.db,
        allUsers.slice(first, first + 1_000).map((u, i) =>
          makeUsageEvent('old', first + i, Date.now() - 86_400_000, {
            userId: u.id,
            providerOwnerId: u.id,
            provider: 'p1',
          }),
        ),
      );
    // Every provider was judged once, long ago, and is idle now: health rows stay (lifted to unknown).
    await sql`INSERT INTO provider_health (provider_id, status, checked_at) SELECT id, 'unknown', 0 FROM providers`.execute(
      handle.db,
    );
    if (withoutStatusIndex) {
      await sql`DROP INDEX provider_health_status_idx ON provider_health`.execute(handle.db);
      await sql`DROP INDEX provider_model_health_status_idx ON provider_model_health`.execute(handle.db);
    }
    await sql`ANALYZE TABLE provider_health, provider_model_health, providers, usage_records`.execute(handle.db);
    const users = await handle.db
      .selectFrom('users')
      .select(['id', 'username'])
      .where(
        'username',
        'in',
        Array.from({ length: active }, (_, i) => scaleUsername(i)),
      )
      .execute();
    const now = Date.now();
    // One request each through the user's rotation, served by its first provider: both of its providers are in use.
    await insertUsageEvents(
      handle.db,
      users.map((u, i) =>
        makeUsageEvent('bench', i, now - 60_000 + i, {
          userId: u.id,
          route: `user-rotation/${SCALE_SHAPE.rotation}`,
          provider: SCALE_SHAPE.providers[0],
          providerOwnerId: u.id,
          attempts: [
            { provider: SCALE_SHAPE.providers[0]!, model: SCALE_SHAPE.model, status: 200, outcome: 'ok', latencyMs: 5 },
          ],
        }),
      ),
    );

    const statements = new Map<string, { count: number; parameters: readonly unknown[] }>();
    let counting = false;
    const counter: KyselyPlugin = {
      transformQuery(args) {
        if (counting) {
          const compiled = handle.db.getExecutor().compileQuery(args.node, args.queryId);
          const seen = statements.get(compiled.sql);
          statements.set(compiled.sql, { count: (seen?.count ?? 0) + 1, parameters: compiled.parameters });
        }
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const db = handle.db.withPlugin(counter);
    const sweep = createDiscoverySweep(6 * 3_600_000);
    const times: number[] = [];
    let last: Awaited<ReturnType<typeof checkHealth>> | undefined;
    for (let run = 0; run < runs; run += 1) {
      counting = run === runs - 1;
      const started = performance.now();
      last = await checkHealth(
        { db, secretBox: box, now: () => now + run * 60_000 + 1_000, policy: { probeSpreadMs: 0 } },
        {},
      );
      sweep.due(last.inUse, Date.now());
      times.push(performance.now() - started);
    }
    const sorted = [...times].sort((a, b) => a - b);
    log(
      `${withoutStatusIndex ? 'WITHOUT' : 'with'} the status indexes; load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(
          ' ',
        )}; ${active} active users; health run (judge, probe ${last?.checked.filter((c) => c.source === 'probe').length} providers, store): ` +
        `median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms of ${runs} runs (${times.map((t) => t.toFixed(0)).join(', ')}); in use ${last?.inUse.length} (judged by: ${sources(last?.checked ?? [])})`,
    );
    // The part that could grow with sign-ups: reading the window and finding the providers in use (no probes, no writes).
    const selection: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const started = performance.now();
      await findActiveProviders(
        handle.db,
        await readRecentTraffic(handle.db, { since: now - 15 * 60_000, now, halfLifeMs: 2 * 60_000 }),
      );
      selection.push(performance.now() - started);
    }
    selection.sort((a, b) => a - b);
    log(
      `finding the providers in use (read the window, look them up, marked ones): median ${selection[10]!.toFixed(1)} ms, min ${selection[0]!.toFixed(1)} ms of 20`,
    );
    const total = [...statements.values()].reduce((s, v) => s + v.count, 0);
    log(`SQL statements in one run: ${total} (${statements.size} distinct)`);
    const connection = await createConnection(database.url);
    try {
      for (const [sqlText, { count, parameters }] of statements) {
        if (!/^select/i.test(sqlText)) {
          log(`  ${count} × ${sqlText.slice(0, 60)}…`);
          continue;
        }
        const [plan] = await connection.query(`EXPLAIN ${sqlText}`, parameters as unknown[]);
        const rows = (plan as Array<Record<string, unknown>>).map(
          (r) => `${r['table']}: key ${r['key'] ?? 'NONE'}, rows ${r['rows']}`,
        );
        log(`  ${count} × ${sqlText.slice(0, 60)}… → ${rows.join('; ')}`);
      }
    } finally {
      await connection.end();
    }
    // What each run cost before: syncSchedules read the whole provider table (then upserted one scheduler each).
    const scanStarted = performance.now();
    const all = await listProviders(handle.db);
    log(
      `for comparison, listProviders (the old per-run scan): ${all.length} providers in ${(performance.now() - scanStarted).toFixed(0)} ms`,
    );
  } finally {
    await handle.close();
    await database.drop();
    await upstream.close();
  }
}

await main();
