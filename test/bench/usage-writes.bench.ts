import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { UsageEvent, UsageSink } from '../../packages/core/src/index';
import { createDatabase, migrateToLatest } from '../../packages/db/src/index';
import {
  createDbUsageSink,
  createThreadUsageSink,
  createUsageWriter,
  writeUsage,
  type UsageWriter,
} from '../../packages/jobs/src/index';
import { makeUsageEvent } from '../../packages/jobs/src/test-support/usage-events';

/**
 * `pnpm exec tsx test/bench/usage-writes.bench.ts [events]`: what `aisbf start`'s usage writes
 * cost the thread that serves requests (docs/usage.md "Where usage goes"): N events emitted and
 * flushed into a fresh SQLite file in batches of 500, once written on the main thread
 * (`createDbUsageSink`) and once by the writer thread (`createThreadUsageSink`); the main thread's
 * busy time is its event-loop utilisation (`performance.eventLoopUtilization`, which counts this
 * thread only), per event. Then what the writer thread itself spends per event: the same batches,
 * as the JSON text the thread receives, parsed and written on this thread (nothing else runs, so
 * the process's CPU time is the writer's), once by `writeUsage` (Kysely: the path of MySQL/MariaDB
 * and of the cluster worker) and once by `createUsageWriter` (on SQLite, the statements prepared
 * once that the thread uses). Best of 3 rounds each, alternating.
 */
const events = Number(process.argv[2] ?? 20_000);
const dir = await mkdtemp(join(tmpdir(), 'aisbf-usage-bench-'));

async function round(kind: 'main thread' | 'writer thread', n: number): Promise<number> {
  const url = `sqlite:${join(dir, `${kind.replace(' ', '-')}-${n}.db`)}`;
  const handle = createDatabase(url);
  await migrateToLatest(handle.db);
  const sink: UsageSink =
    kind === 'main thread'
      ? createDbUsageSink({ db: handle.db, batchSize: 500, flushMs: 1_000 })
      : createThreadUsageSink({ databaseUrl: url, batchSize: 500, flushMs: 1_000 });
  // The thread is up before the clock starts (from the sources it compiles its modules first).
  sink.emit(makeUsageEvent('warm', 0));
  await sink.flush();
  const before = performance.eventLoopUtilization();
  for (let i = 0; i < events; i++) {
    sink.emit(makeUsageEvent(`r${n}`, i));
    // Emitted in bursts with turns of the event loop between them, as requests arrive.
    if (i % 250 === 249) await new Promise((resolve) => setImmediate(resolve));
  }
  await sink.flush();
  const used = performance.eventLoopUtilization(before);
  const rows = (await handle.db.selectFrom('usage_records').select('id').execute()).length;
  if (rows !== events + 1) throw new Error(`${kind}: ${rows} rows for ${events + 1} events`);
  await sink.close();
  await handle.close();
  // Event creation is the same work in both; the loop's own time is in both as well.
  return (used.active * 1000) / events;
}

const WRITERS = ['Kysely (writeUsage)', 'prepared (createUsageWriter)'] as const;

async function writerRound(kind: (typeof WRITERS)[number], n: number): Promise<number> {
  const handle = createDatabase(`sqlite:${join(dir, `writer-${kind.split(' ')[0]}-${n}.db`)}`);
  await migrateToLatest(handle.db);
  const write: UsageWriter =
    kind === 'Kysely (writeUsage)'
      ? async (batch) => (await writeUsage({ db: handle.db }, batch)).inserted
      : createUsageWriter(handle);
  const batches: string[] = [];
  for (let i = 0; i < events; i += 500)
    batches.push(
      JSON.stringify(Array.from({ length: Math.min(500, events - i) }, (_, k) => makeUsageEvent(`w${n}`, i + k))),
    );
  // The first write prepares what it reuses; that is once per thread, not per event.
  await write([makeUsageEvent('warm', 0)]);
  const before = process.cpuUsage();
  let inserted = 0;
  for (const batch of batches) inserted += await write(JSON.parse(batch) as UsageEvent[]);
  const used = process.cpuUsage(before);
  await handle.close();
  if (inserted !== events) throw new Error(`${kind}: ${inserted} rows for ${events} events`);
  return (used.user + used.system) / events;
}

try {
  const best = { 'main thread': Infinity, 'writer thread': Infinity };
  for (let n = 0; n < 3; n++)
    for (const kind of ['main thread', 'writer thread'] as const)
      best[kind] = Math.min(best[kind], await round(kind, n));
  for (const [kind, us] of Object.entries(best))
    process.stdout.write(`usage written on the ${kind.padEnd(13)}: ${us.toFixed(1)} µs of the main thread per event\n`);
  const writerBest = { [WRITERS[0]]: Infinity, [WRITERS[1]]: Infinity };
  for (let n = 0; n < 3; n++)
    for (const kind of WRITERS) writerBest[kind] = Math.min(writerBest[kind], await writerRound(kind, n));
  for (const [kind, us] of Object.entries(writerBest))
    process.stdout.write(`the writer's own work, ${kind.padEnd(28)}: ${us.toFixed(1)} µs of CPU per event\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
