import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { createDatabase, migrateToLatest } from '../../packages/db/src/index';
import {
  createQueueUsageSink,
  createWorkers,
  QUEUES,
  toBullmqConnection,
  toBullmqPrefix,
} from '../../packages/jobs/src/index';
import { Queue } from 'bullmq';
import { createSecretBox, generateSecretKey } from '../../packages/secrets/src/index';
import { makeUsageEvent } from '../../packages/jobs/src/test-support/usage-events';
import { usageEventId } from '../../packages/data-plane/src/usage-event-id';
import { createBenchDatabase } from './aisbf-targets';

/**
 * `pnpm exec tsx test/bench/usage-pipeline.bench.ts [events]`: what the cluster's usage pipeline
 * costs per event, split by who pays (docs/benchmarks.md "The cluster's usage pipeline"): a
 * data-plane node's queue sink batching events into `usage-flush` jobs (this process's CPU while it
 * emits), Redis (redis-server's CPU over both phases), the worker draining the queue into MariaDB
 * (this process's CPU while it drains) and MariaDB (mariadbd's CPU). Events are produced first with
 * no worker, then drained, so each phase's CPU is its own. CPU time, not wall time: it is what the
 * pipeline takes from a machine it shares with the gateway. Event ids are made by the data plane's
 * own generator (`usageEventId`): they are the table's primary key, and their order is part of
 * what MariaDB pays per insert. The worker writes through the handle's mysql2 pool, as `aisbf
 * worker` does (prepared statements).
 */
const events = Number(process.argv[2] ?? 20_000);
const redisUrl = process.env['AISBF_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const mysqlUrl = process.env['AISBF_BENCH_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306';

const pidOf = (name: string): number => Number(execFileSync('pidof', [name]).toString().trim().split(' ')[0]);
/** utime + stime of a process, µs (clock ticks of 10 ms). */
const procCpuUs = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10_000;
};
const selfCpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

const database = await createBenchDatabase(mysqlUrl);
const handle = createDatabase(database.url);
const prefix = `aisbf-bench-usage-${process.pid}:`;
const redis = new Redis(redisUrl);
const queue = new Queue(QUEUES.usageEvents, {
  connection: toBullmqConnection(redisUrl),
  prefix: toBullmqPrefix(prefix),
});
try {
  await migrateToLatest(handle.db);
  const [redisPid, mariaPid] = [pidOf('redis-server'), pidOf('mariadbd')];
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
  process.stdout.write(`${events} events a round, load average ${load}\n`);
  for (let round = 0; round < 3; round++) {
    const r0 = procCpuUs(redisPid);
    const m0 = procCpuUs(mariaPid);
    const sink = createQueueUsageSink({ url: redisUrl, prefix, batchSize: 500, flushMs: 250 });
    const p0 = selfCpuUs();
    for (let i = 0; i < events; i++) {
      sink.emit(makeUsageEvent(`r${round}`, i, undefined, { id: usageEventId() }));
      if (i % 250 === 249) await new Promise((resolve) => setImmediate(resolve));
    }
    await sink.flush();
    const producer = selfCpuUs() - p0;
    await sink.close();
    const w0 = selfCpuUs();
    const workers = await createWorkers({
      url: redisUrl,
      prefix,
      db: handle.db,
      mysql: handle.mysql,
      secretBox: createSecretBox(generateSecretKey()),
      publish: async () => undefined,
      healthEveryMs: 0,
      discoverEveryMs: 0,
    });
    // Polled, not awaited per job: a few small Redis calls against thousands of events' work.
    while ((await queue.getJobCountByTypes('wait', 'active', 'delayed', 'prioritized')) > 0)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const worker = selfCpuUs() - w0;
    await workers.close();
    const per = (us: number): string => `${(us / events).toFixed(1)}`.padStart(6);
    const rows = await handle.db
      .selectFrom('usage_records')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    if (Number(rows?.n) !== events * (round + 1)) throw new Error(`${String(rows?.n)} rows after round ${round}`);
    process.stdout.write(
      `round ${round}: µs per event: producer ${per(producer)}, redis ${per(procCpuUs(redisPid) - r0)}, worker ${per(worker)}, mariadb ${per(procCpuUs(mariaPid) - m0)}\n`,
    );
  }
} finally {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.unlink(...keys);
  redis.disconnect();
  await queue.close();
  await handle.close();
  await database.drop();
}
