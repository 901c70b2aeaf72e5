import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createHealthBoard, createHealthPublisher, createMemoryBus, createMemoryHealthStore } from '@aisbf/bus';
import type { PrefillRefusals } from '@aisbf/core';
import { createDataPlane, type DataPlane } from '@aisbf/data-plane';
import {
  createDatabase,
  insertApiToken,
  insertUser,
  loadSnapshot,
  migrateToLatest,
  upsertProvider,
  upsertRotation,
  type DatabaseHandle,
} from '@aisbf/db';
import { createInProcessJobs, type HealthPolicy, type InProcessJobs } from '@aisbf/jobs';
import { createSecretBox, generateApiToken, generateSecretKey, hashApiToken } from '@aisbf/secrets';
import { startMockUpstream, type MockUpstream } from '@aisbf/testkit';

/**
 * All-in-one mode's health loop in one process, with real parts: SQLite, the data plane over HTTP,
 * its usage written by the in-process jobs' sink, the health-check processor reading that usage,
 * and its verdicts reaching the data plane through the health board. Only the backends are mocks.
 */
export interface HealthFixture {
  url: string;
  token: string;
  db: DatabaseHandle;
  jobs: InProcessJobs;
  mocks: Record<string, MockUpstream>;
  plane: DataPlane;
  close(): Promise<void>;
}

export interface FixtureOptions {
  providers: Array<{ id: string; models: Array<string | { name: string; prefill?: boolean }> }>;
  rotations: Array<{ id: string; config: Record<string, unknown> }>;
  healthPolicy?: Partial<HealthPolicy>;
  /** Run the health-check processor on this timer (default: only when the test calls it). */
  healthEveryMs?: number;
  /** The data plane's prefill memory (all-in-one: the db's). */
  prefillRefusals?: (handle: DatabaseHandle) => PrefillRefusals;
  /** Start again on this fixture's database, token and backends (a restart of the same all-in-one). */
  restartOf?: HealthFixture;
}

/** One key per test process: a restarted fixture decrypts what the first one stored. */
const SECRET_KEY = generateSecretKey();

export async function startHealthFixture(options: FixtureOptions): Promise<HealthFixture> {
  const box = createSecretBox(SECRET_KEY);
  const owned = options.restartOf === undefined;
  const db = options.restartOf?.db ?? createDatabase('sqlite::memory:');
  const token = options.restartOf?.token ?? generateApiToken();
  const mocks: Record<string, MockUpstream> = options.restartOf?.mocks ?? {};
  if (owned) {
    await migrateToLatest(db.db);
    const alice = await insertUser(db.db, { username: 'alice', passwordHash: null, role: 'user', now: 0 });
    await insertApiToken(db.db, {
      userId: alice.id,
      name: 'test',
      hash: hashApiToken(token),
      hint: 'test',
      expiresAt: null,
      now: 0,
    });
    for (const p of options.providers) {
      const models = p.models.map((m) => (typeof m === 'string' ? { name: m } : m));
      const mock = await startMockUpstream({ models: models.map((m) => m.name), apiKey: 'sk-upstream' });
      mocks[p.id] = mock;
      await upsertProvider(
        db.db,
        {
          ownerId: alice.id,
          id: p.id,
          type: 'openai',
          endpoint: mock.url,
          apiKeyEnc: box.encrypt('sk-upstream'),
          apiKeyHint: null,
          enabled: true,
          adminOnly: false,
          // Traffic decides in these tests; a background probe never runs.
          settings: { health_probe: 'none' },
          models,
        },
        0,
      );
    }
    for (const r of options.rotations) await upsertRotation(db.db, { ownerId: alice.id, ...r }, 0);
  }
  const bus = createMemoryBus();
  const store = createMemoryHealthStore();
  const board = createHealthBoard({ bus, store, pollMs: 0 });
  const jobs = createInProcessJobs({
    db: db.db,
    secretBox: box,
    publish: async () => undefined,
    publishHealth: createHealthPublisher({ bus, store }),
    healthEveryMs: options.healthEveryMs ?? 0,
    discoverEveryMs: 0,
    usageFlushMs: 20,
    ...(options.healthPolicy === undefined ? {} : { healthPolicy: options.healthPolicy }),
  });
  const prefillRefusals = options.prefillRefusals?.(db);
  const plane = createDataPlane({
    secretBox: box,
    usageSink: jobs.usageSink,
    health: board,
    logger: pino({ level: 'silent' }),
    ...(prefillRefusals === undefined ? {} : { prefillRefusals }),
  });
  plane.setSnapshot(await loadSnapshot(db.db));
  const server: Server = createServer((req, res) => {
    if (!plane.handle(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token,
    db,
    jobs,
    mocks,
    plane,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await plane.close();
      await prefillRefusals?.close();
      await jobs.close();
      await board.close();
      if (!owned) return;
      await Promise.all(Object.values(mocks).map((m) => m.close()));
      await db.close();
    },
  };
}
