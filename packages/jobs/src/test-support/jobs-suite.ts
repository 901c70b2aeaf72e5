import {
  createDatabase,
  findProvider,
  insertUser,
  insertUsageEvents,
  listProviderHealth,
  migrateToLatest,
  upsertProvider,
  type DatabaseHandle,
} from '@aisbf/db';
import type { HealthChange } from '@aisbf/bus';
import type { ConfigChange } from '@aisbf/core';
import { createSecretBox, generateSecretKey } from '@aisbf/secrets';
import {
  createTestMysqlDatabase,
  startMockUpstream,
  testRedisPrefix,
  testRedisUrl,
  type MockUpstream,
} from '@aisbf/testkit';
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toBullmqConnection, toBullmqPrefix } from '../bullmq-connection';
import { createBullmqJobRunner } from '../bullmq-job-runner';
import { createWorkers, HEALTH_SCHEDULER_ID, type JobWorkers } from '../create-workers';
import { checkHealth } from '../health-check.processor';
import { createInProcessJobs } from '../in-process-jobs';
import { discoveryPeriod } from '../discovery-period';
import { QUEUES } from '../queues';
import { makeUsageEvent, servedBy } from './usage-events';

const box = createSecretBox(generateSecretKey());

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, label: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface Backend {
  name: string;
  open(): Promise<DatabaseHandle>;
}

export type SuitePart = 'bullmq' | 'in-process' | 'processors';

export const mariadbBackend: Backend = {
  name: 'MariaDB',
  open: async () => createDatabase(await createTestMysqlDatabase('jobs')),
};
export const sqliteBackend: Backend = { name: 'SQLite', open: async () => createDatabase('sqlite::memory:') };

/**
 * The jobs behaviours of docs/jobs.md, defined once: the BullMQ part runs on MariaDB (cluster mode),
 * the in-process part on SQLite (all-in-one), the processors on both.
 */
export function jobsSuite(backend: Backend, parts: ReadonlySet<SuitePart>): void {
  describe(`jobs on ${backend.name}`, () => {
    let handle: DatabaseHandle;
    let upstream: MockUpstream;
    let ownerId: string;
    const changes: ConfigChange[] = [];
    const health: HealthChange[] = [];
    const closers: Array<() => Promise<void>> = [];

    beforeAll(async () => {
      handle = await backend.open();
      await migrateToLatest(handle.db);
      upstream = await startMockUpstream({ models: ['m1', 'm2'], apiKey: 'sk-test-upstream-key' });
      ownerId = (await insertUser(handle.db, { username: 'alice', passwordHash: null, role: 'user', now: 0 })).id;
    });
    afterEach(async () => {
      for (const close of closers.splice(0).reverse()) await close();
      upstream.reset();
      changes.length = 0;
      health.length = 0;
    });
    afterAll(async () => {
      await upstream.close();
      await handle.close();
    });

    const addProvider = async (
      id: string,
      endpoint = upstream.url,
      settings: Record<string, unknown> = {},
      models = [{ name: 'old-model' }, { name: 'm1', contextWindow: 8192 }],
    ) =>
      upsertProvider(
        handle.db,
        {
          ownerId,
          id,
          type: 'openai',
          endpoint,
          apiKeyEnc: box.encrypt('sk-test-upstream-key'),
          apiKeyHint: null,
          enabled: true,
          adminOnly: false,
          settings,
          models,
        },
        0,
      );
    const statusOf = async (id: string) => {
      const provider = await findProvider(handle.db, ownerId, id);
      if (!provider) throw new Error('no provider');
      return (await listProviderHealth(handle.db, [provider.rowId])).get(provider.rowId)?.status ?? 'unknown';
    };
    /** One request served by the provider just now: the health job only looks after providers in use. */
    const useNow = async (id: string) => insertUsageEvents(handle.db, [servedBy(ownerId, id, Date.now())]);
    /**
     * Two providers on upstreams of their own (providers of earlier tests share this database), the
     * first just served a request (in use), the second never (idle).
     */
    const usedAndIdle = async (usedId: string, idleId: string) => {
      const used = await startMockUpstream({ models: ['m1', 'm2'] });
      const idle = await startMockUpstream({ models: ['m1', 'm2'] });
      closers.push(
        () => used.close(),
        () => idle.close(),
      );
      await addProvider(usedId, used.url);
      await addProvider(idleId, idle.url);
      await useNow(usedId);
      return { used, idle };
    };
    const deps = {
      publish: async (c: ConfigChange) => void changes.push(c),
      publishHealth: async (h: HealthChange) => void health.push(h),
    };

    const startWorkers = async (
      options: { healthEveryMs?: number; discoverEveryMs?: number } = {},
    ): Promise<{ workers: JobWorkers; prefix: string }> => {
      const prefix = testRedisPrefix('jobs');
      const workers = await createWorkers({
        url: testRedisUrl(),
        prefix,
        db: handle.db,
        secretBox: box,
        ...deps,
        healthEveryMs: options.healthEveryMs ?? 0,
        discoverEveryMs: options.discoverEveryMs ?? 0,
        healthPolicy: { probeTimeoutMs: 1_000 },
      });
      closers.push(() => workers.close());
      return { workers, prefix };
    };

    if (parts.has('bullmq')) {
      it('BullMQ: discovery stores the models and reports the diff; concurrent requests share one job', async () => {
        await addProvider('lan');
        const { prefix } = await startWorkers();
        const runner = createBullmqJobRunner({ url: testRedisUrl(), prefix, timeoutMs: 10_000 });
        closers.push(() => runner.close());
        const [first, second] = await Promise.all([
          runner.discoverModels({ ownerId, providerId: 'lan' }),
          runner.discoverModels({ ownerId, providerId: 'lan' }),
        ]);
        expect(first).toEqual({ models: ['m1', 'm2'], added: ['m2'], removed: ['old-model'] });
        expect(second).toEqual(first);
        expect(upstream.requests.filter((r) => r.path.endsWith('/models'))).toHaveLength(1);
        expect(upstream.requests[0]?.headers['authorization']).toBe('Bearer sk-test-upstream-key');
        const stored = await findProvider(handle.db, ownerId, 'lan');
        expect(stored?.models.map((m) => [m.name, m.contextWindow])).toEqual([
          ['m1', 8192],
          ['m2', undefined],
        ]);
        expect(changes.at(-1)).toMatchObject({ kind: 'models', id: 'lan', op: 'upsert' });
      });
    }

    if (parts.has('bullmq')) {
      it('BullMQ: a discovery that fails answers a typed error; an unknown provider is not retried', async () => {
        await addProvider('broken', 'http://127.0.0.1:9/v1');
        const { prefix } = await startWorkers();
        const runner = createBullmqJobRunner({ url: testRedisUrl(), prefix, timeoutMs: 10_000 });
        closers.push(() => runner.close());
        await expect(runner.discoverModels({ ownerId, providerId: 'broken' })).rejects.toMatchObject({
          code: 'UPSTREAM_ERROR',
        });
        await expect(runner.discoverModels({ ownerId, providerId: 'nope' })).rejects.toMatchObject({
          code: 'UPSTREAM_ERROR',
          message: expect.stringContaining('does not exist'),
        });
        const queue = new Queue(QUEUES.discoverModels, {
          connection: toBullmqConnection(testRedisUrl()),
          prefix: toBullmqPrefix(prefix),
        });
        closers.push(() => queue.close());
        const failed = await queue.getFailed();
        expect(failed.find((j) => (j.data as { providerId: string }).providerId === 'nope')?.attemptsMade).toBe(1);
      });
    }

    if (parts.has('bullmq')) {
      it('BullMQ: a bad usage payload fails once (UnrecoverableError), never retried', async () => {
        const { prefix } = await startWorkers();
        const connection = toBullmqConnection(testRedisUrl());
        const queue = new Queue(QUEUES.usageEvents, { connection, prefix: toBullmqPrefix(prefix) });
        const events = new QueueEvents(QUEUES.usageEvents, { connection, prefix: toBullmqPrefix(prefix) });
        closers.push(
          () => queue.close(),
          () => events.close(),
        );
        await events.waitUntilReady();
        const job = await queue.add(
          'usage-flush',
          { events: [{ id: 'x' }] },
          { attempts: 5, backoff: { type: 'fixed', delay: 10 } },
        );
        await expect(job.waitUntilFinished(events, 5_000)).rejects.toThrow(/invalid payload/);
        expect((await queue.getJob(job.id ?? ''))?.attemptsMade).toBe(1);
      });
    }

    if (parts.has('bullmq')) {
      it('BullMQ: discovery follows use: a provider in use is rediscovered each period, once for the cluster; an idle one never', async () => {
        const { used, idle } = await usedAndIdle('use-a', 'idle-a');
        const everyMs = 1_500;
        const { prefix } = await startWorkers({ healthEveryMs: 150, discoverEveryMs: everyMs });
        // A second worker process of the same cluster.
        const second = await createWorkers({
          url: testRedisUrl(),
          prefix,
          db: handle.db,
          secretBox: box,
          ...deps,
          healthEveryMs: 150,
          discoverEveryMs: everyMs,
        });
        closers.push(() => second.close());
        const queueOf = (name: string) =>
          new Queue(name, { connection: toBullmqConnection(testRedisUrl()), prefix: toBullmqPrefix(prefix) });
        const queue = queueOf(QUEUES.discoverModels);
        const healthQueue = queueOf(QUEUES.healthCheck);
        closers.push(
          () => queue.close(),
          () => healthQueue.close(),
        );
        const started = Date.now();
        // No scheduler per provider: the health run's one scheduler is all there is.
        expect(await queue.getJobSchedulersCount()).toBe(0);
        expect((await healthQueue.getJobSchedulers(0, -1)).map((s) => s.key)).toEqual([HEALTH_SCHEDULER_ID]);
        const discoveriesOf = async (id: string) =>
          (await queue.getJobs(['completed', 'failed', 'active', 'wait', 'delayed'])).filter(
            (j) => (j.data as { providerId: string }).providerId === id,
          );
        await until(
          async () => (await findProvider(handle.db, ownerId, 'use-a'))?.models.some((m) => m.name === 'm2') ?? false,
          10_000,
          'first discovery of the provider in use',
        );
        await until(async () => (await discoveriesOf('use-a')).length >= 3, 15_000, 'two more periods');
        const elapsed = Date.now() - started;
        const jobs = await discoveriesOf('use-a');
        // One job per period however many workers ran health checks (about ten runs a period here).
        const periods = jobs.map((j) => j.opts.deduplication?.id);
        expect(new Set(periods).size).toBe(periods.length);
        expect(jobs.length).toBeLessThanOrEqual(Math.ceil(elapsed / everyMs) + 1);
        expect(await discoveriesOf('idle-a')).toEqual([]);
        expect(idle.requests).toHaveLength(0);
        expect(await queue.getJobSchedulersCount()).toBe(0);
      });
    }

    if (parts.has('bullmq')) {
      it('BullMQ: a created provider is discovered at once, without a schedule (discoverSoon)', async () => {
        await addProvider('fresh');
        const { prefix } = await startWorkers({ discoverEveryMs: 3_600_000 });
        const runner = createBullmqJobRunner({ url: testRedisUrl(), prefix, timeoutMs: 10_000 });
        closers.push(() => runner.close());
        runner.discoverSoon({ ownerId, providerId: 'fresh' });
        await until(
          async () => (await findProvider(handle.db, ownerId, 'fresh'))?.models.some((m) => m.name === 'm2') ?? false,
          10_000,
          'discovery of the created provider',
        );
        expect(upstream.requests.filter((r) => r.path === '/v1/models')).toHaveLength(1);
        expect(changes.at(-1)).toMatchObject({ kind: 'models', id: 'fresh', op: 'upsert' });
      });
    }

    if (parts.has('bullmq')) {
      it('BullMQ: the legacy per-provider discovery schedulers are removed at worker start, with their pending jobs', async () => {
        const prefix = testRedisPrefix('jobs');
        const queue = new Queue(QUEUES.discoverModels, {
          connection: toBullmqConnection(testRedisUrl()),
          prefix: toBullmqPrefix(prefix),
        });
        closers.push(() => queue.close());
        // What an earlier version left behind: one scheduler per provider, the next run hours away.
        // More than one page (1,000) of them, plus one that is not a discovery schedule.
        const legacy = 1_100;
        const startDate = Date.now() + 3_600_000;
        for (let first = 0; first < legacy; first += 100)
          await Promise.all(
            Array.from({ length: Math.min(100, legacy - first) }, (_, k) =>
              queue.upsertJobScheduler(
                `discover-models:${ownerId}:legacy-${first + k}`,
                { every: 6 * 3_600_000, startDate },
                { name: 'discover-models', data: { ownerId, providerId: `legacy-${first + k}` } },
              ),
            ),
          );
        await queue.upsertJobScheduler('something-else', { every: 3_600_000, startDate }, { name: 'other', data: {} });
        expect(await queue.getJobSchedulersCount()).toBe(legacy + 1);
        expect(await queue.getDelayedCount()).toBe(legacy + 1);
        const first = await createWorkers({
          url: testRedisUrl(),
          prefix,
          db: handle.db,
          secretBox: box,
          ...deps,
          healthEveryMs: 0,
        });
        closers.push(() => first.close());
        expect(first.legacySchedulersRemoved).toBe(legacy);
        expect((await queue.getJobSchedulers(0, -1)).map((s) => s.key)).toEqual(['something-else']);
        expect(await queue.getDelayedCount()).toBe(1);
        // Once: the next start finds nothing left to remove.
        const again = await createWorkers({
          url: testRedisUrl(),
          prefix,
          db: handle.db,
          secretBox: box,
          ...deps,
          healthEveryMs: 0,
        });
        closers.push(() => again.close());
        expect(again.legacySchedulersRemoved).toBe(0);
      });
    }

    if (parts.has('bullmq')) {
      it('BullMQ: a dead provider becomes unhealthy on the scheduled check, then heals', async () => {
        await addProvider('flaky');
        await useNow('flaky');
        upstream.setDefault({ kind: 'reset' }); // connection-level: it speaks for the whole provider
        await startWorkers({ healthEveryMs: 200 });
        const published = () => health.filter((h) => h.providerId === 'flaky').map((h) => h.status);
        await until(() => published().includes('unhealthy'), 10_000, 'unhealthy published');
        expect(await statusOf('flaky')).toBe('unhealthy');
        upstream.setDefault({ kind: 'ok' });
        await until(() => published().includes('healthy'), 10_000, 'healed');
        expect(await statusOf('flaky')).toBe('healthy');
        expect(published()).toEqual(['unhealthy', 'healthy']);
        // Free probe only: no completion was ever sent.
        expect(upstream.requests.every((r) => r.path.endsWith('/models'))).toBe(true);
      });
    }

    if (parts.has('in-process')) {
      it('in-process: the same discovery and health behaviour without Redis', async () => {
        await addProvider('local');
        await useNow('local');
        const jobs = createInProcessJobs({
          db: handle.db,
          secretBox: box,
          ...deps,
          healthEveryMs: 0,
          discoverEveryMs: 0,
          healthPolicy: { probeTimeoutMs: 1_000 },
        });
        closers.push(() => jobs.close());
        expect(await jobs.discoverModels({ ownerId, providerId: 'local' })).toEqual({
          models: ['m1', 'm2'],
          added: ['m2'],
          removed: ['old-model'],
        });
        // A probe answered with an HTTP error is no connection fault: the provider is not judged by it.
        upstream.setDefault({ kind: 'status', status: 503 });
        await jobs.runHealthCheck();
        expect(await statusOf('local')).toBe('unknown');
        upstream.setDefault({ kind: 'reset' });
        await jobs.runHealthCheck();
        expect(await statusOf('local')).toBe('unhealthy');
        upstream.setDefault({ kind: 'ok' });
        await jobs.runHealthCheck();
        expect(await statusOf('local')).toBe('healthy');
        expect(health.filter((h) => h.providerId === 'local').map((h) => h.status)).toEqual(['unhealthy', 'healthy']);
      });
    }

    if (parts.has('in-process')) {
      it('in-process: discovery follows use: the health run discovers a provider in use once a period, never an idle one', async () => {
        const { used, idle } = await usedAndIdle('ip-used', 'ip-idle');
        const everyMs = 3_000;
        const jobs = createInProcessJobs({
          db: handle.db,
          secretBox: box,
          ...deps,
          healthEveryMs: 0,
          discoverEveryMs: everyMs,
          healthPolicy: { probeTimeoutMs: 1_000 },
        });
        closers.push(() => jobs.close());
        // Each provider's periods have a phase of their own: start the runs just after one begins.
        const nextPeriod = async () => {
          const { startsAt } = discoveryPeriod(ownerId, 'ip-used', Date.now(), everyMs);
          await new Promise((resolve) => setTimeout(resolve, startsAt + everyMs - Date.now() + 20));
        };
        const usedModelCalls = () => used.requests.filter((r) => r.path === '/v1/models').length;
        const discovered = async () => (await jobs.runHealthCheck()).discovered.map((d) => d.providerId);
        await nextPeriod();
        // Providers of earlier tests served recently too: they are in use as well.
        expect(await discovered()).toContain('ip-used');
        expect((await findProvider(handle.db, ownerId, 'ip-used'))?.models.map((m) => m.name)).toEqual(['m1', 'm2']);
        // One probe and one discovery; the same period asks no second discovery.
        expect(usedModelCalls()).toBe(2);
        expect(await discovered()).not.toContain('ip-used');
        expect(usedModelCalls()).toBe(3);
        await nextPeriod();
        expect(await discovered()).toContain('ip-used');
        expect(usedModelCalls()).toBe(5);
        expect(idle.requests).toHaveLength(0);
      });
    }

    if (parts.has('in-process')) {
      it('in-process: a created provider is discovered at once (discoverSoon)', async () => {
        await addProvider('ip-fresh');
        const jobs = createInProcessJobs({ db: handle.db, secretBox: box, ...deps, healthEveryMs: 0 });
        closers.push(() => jobs.close());
        jobs.discoverSoon({ ownerId, providerId: 'ip-fresh' });
        await until(
          async () =>
            (await findProvider(handle.db, ownerId, 'ip-fresh'))?.models.some((m) => m.name === 'm2') ?? false,
          5_000,
          'discovery of the created provider',
        );
        expect(changes.at(-1)).toMatchObject({ kind: 'models', id: 'ip-fresh', op: 'upsert' });
      });
    }

    if (parts.has('processors')) {
      it('live traffic judges each model; only connection faults judge the provider; penalties fade', async () => {
        await addProvider('busy');
        const now = 1_800_000_000_000;
        const attempt = (model: string, status: number | null, outcome: 'ok' | 'error' | 'refused') => ({
          provider: 'busy',
          model,
          status,
          outcome,
          latencyMs: 40,
        });
        // m1: 8 failures (502) and 2 successes; m2: all fine. /models answers fine throughout.
        const events = Array.from({ length: 20 }, (_, i) =>
          makeUsageEvent('busy', i, now - 10_000 - i, {
            userId: ownerId,
            provider: i < 2 || i >= 10 ? 'busy' : null,
            providerOwnerId: i < 2 || i >= 10 ? ownerId : null,
            attempts: [i < 10 ? attempt('m1', i < 2 ? 200 : 502, i < 2 ? 'ok' : 'error') : attempt('m2', 200, 'ok')],
          }),
        );
        await insertUsageEvents(handle.db, events);
        const hcDeps = { db: handle.db, secretBox: box, ...deps, policy: { probeTimeoutMs: 1_000 } };
        const sick = await checkHealth({ ...hcDeps, now: () => now }, { ownerId, providerId: 'busy' });
        expect(sick.checked[0]).toMatchObject({ status: 'healthy', source: 'traffic' });
        expect(sick.checked[0]?.traffic?.models['m1']?.errorRatio).toBeCloseTo(0.8, 1);
        expect(sick.checked[0]?.models).toEqual([
          expect.objectContaining({ model: 'm1', status: 'unhealthy', previous: 'unknown', since: now - 10_002 }),
          expect.objectContaining({ model: 'm2', status: 'healthy', previous: 'unknown' }),
        ]);
        expect(health.filter((h) => h.providerId === 'busy')).toEqual([
          expect.objectContaining({ model: null, status: 'healthy' }),
          expect.objectContaining({ model: 'm1', status: 'unhealthy', since: now - 10_002 }),
          expect.objectContaining({ model: 'm2', status: 'healthy' }),
        ]);
        expect(upstream.requests).toHaveLength(0); // traffic was enough: no probe, nothing paid
        // Ten minutes later (five half-lives) the traffic weighs ~0.6: too little to judge. The
        // models' marks are lifted (unknown) and the free probe judges the provider.
        const later = await checkHealth({ ...hcDeps, now: () => now + 10 * 60_000 }, { ownerId, providerId: 'busy' });
        expect(later.checked[0]).toMatchObject({ status: 'healthy', source: 'probe', previous: 'healthy' });
        expect(later.checked[0]?.models.map((m) => [m.model, m.status, m.previous])).toEqual([
          ['m1', 'unknown', 'unhealthy'],
          ['m2', 'unknown', 'healthy'],
        ]);
        // Connection faults (nothing answered) do speak for the provider as a whole.
        const refusedAt = now + 11 * 60_000;
        await insertUsageEvents(
          handle.db,
          Array.from({ length: 4 }, (_, i) =>
            makeUsageEvent('busy', 100 + i, refusedAt - i, {
              userId: ownerId,
              provider: null,
              providerOwnerId: null,
              attempts: [attempt('m2', null, 'refused')],
            }),
          ),
        );
        const down = await checkHealth({ ...hcDeps, now: () => refusedAt }, { ownerId, providerId: 'busy' });
        expect(down.checked[0]).toMatchObject({ status: 'unhealthy', source: 'traffic', since: refusedAt });
      });
    }

    if (parts.has('processors')) {
      it('a payload naming a provider and no owner checks the global provider of that id only', async () => {
        await addProvider('shared');
        await upsertProvider(
          handle.db,
          {
            ownerId: null,
            id: 'shared',
            type: 'openai',
            endpoint: upstream.url,
            apiKeyEnc: box.encrypt('sk-test-upstream-key'),
            apiKeyHint: null,
            enabled: true,
            adminOnly: false,
            settings: {},
            models: [{ name: 'm1' }],
          },
          0,
        );
        const hcDeps = { db: handle.db, secretBox: box, ...deps, policy: { probeTimeoutMs: 1_000 } };
        const global = await checkHealth(hcDeps, { providerId: 'shared' });
        expect(global.checked.map((c) => [c.ownerId, c.providerId, c.source])).toEqual([[null, 'shared', 'probe']]);
        expect(upstream.requests.map((r) => r.path)).toEqual(['/v1/models']);
        const mine = await checkHealth(hcDeps, { ownerId, providerId: 'shared' });
        expect(mine.checked.map((c) => [c.ownerId, c.providerId])).toEqual([[ownerId, 'shared']]);
        expect((await checkHealth(hcDeps, { providerId: 'nobody-has-this' })).checked).toEqual([]);
      });
    }

    if (parts.has('processors')) {
      it('a paid probe is sent only to a provider that opted in', async () => {
        await addProvider('paid', upstream.url, { health_probe: 'paid' }, [{ name: 'm2' }]);
        const result = await checkHealth({ db: handle.db, secretBox: box, ...deps }, { ownerId, providerId: 'paid' });
        expect(result.checked[0]).toMatchObject({ status: 'healthy', source: 'paid-probe' });
        expect(upstream.requests.map((r) => r.path)).toEqual(['/v1/chat/completions']);
        expect(upstream.requests[0]?.body).toMatchObject({ model: 'm2', max_tokens: 1 });
        await addProvider('free', upstream.url, {}, [{ name: 'm2' }]);
        await checkHealth({ db: handle.db, secretBox: box, ...deps }, { ownerId, providerId: 'free' });
        expect(upstream.requests.map((r) => r.path)).toEqual(['/v1/chat/completions', '/v1/models']);
        await expect(checkHealth({ db: handle.db, secretBox: box }, { providerId: 7 })).rejects.toThrow(
          /invalid payload/,
        );
      });
    }
  });
}
