import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { UsageEvent, UsageSink } from '@aisbf/core';
import { createUsageBatcher, type UsageBatchingOptions } from './usage-batcher';
import type { WriterReply, WriterRequest, WriterStart } from './usage-writer-messages';

/** `flushMs` defaults to 1000 ms: a quiet node still writes its usage within a second. */
export interface ThreadUsageSinkOptions extends UsageBatchingOptions {
  /** The database the writer thread opens for itself (a file or a server: not `:memory:`). */
  databaseUrl: string;
  /** The writer's module; default: next to the running code (sources or bundle). */
  entry?: URL;
}

/** What a `Worker` is started with: a module, or (from the sources) a script that loads one. */
export interface WriterModule {
  url: URL;
  /** From the sources: registers tsx's loader in the thread, then imports `url` (a thread's entry module does not go through an `--import`ed loader on Node 20). */
  bootstrap: string | null;
}

/**
 * The writer's module: `usage-writer.mjs` beside `aisbf.mjs` when running the bundle, whose code
 * sits in `chunks/` (scripts/bundle.ts); `usage-writer-entry.ts` beside this file when running
 * from the sources (tsx, vitest), loaded through tsx.
 */
export function usageWriterEntry(moduleUrl: string = import.meta.url): WriterModule {
  if (!moduleUrl.endsWith('.ts')) {
    const up = moduleUrl.includes('/chunks/') ? '../' : './';
    return { url: new URL(`${up}usage-writer.mjs`, moduleUrl), bootstrap: null };
  }
  const url = new URL('./usage-writer-entry.ts', moduleUrl);
  // tsx's require hook works inside a thread (its ESM loader does not, on Node 20).
  const tsx = createRequire(moduleUrl).resolve('tsx/cjs');
  return { url, bootstrap: `require(${JSON.stringify(tsx)}); require(${JSON.stringify(fileURLToPath(url))});` };
}

/**
 * All-in-one mode's UsageSink when the database is a file or a server: the same batches as
 * `createDbUsageSink`, written by a worker thread with its own connection, so SQLite's work on them
 * (about 5 % of a busy `aisbf start`'s CPU, docs/benchmarks.md) leaves the thread that serves
 * requests. Nothing is lost on the way: a batch stays in the main thread's buffer until the thread
 * says it is written; a failed write, or a thread that died, is retried (a new thread is started);
 * `close()` writes what is left before the thread ends (docs/usage.md "Where usage goes").
 */
export function createThreadUsageSink(options: ThreadUsageSinkOptions): UsageSink {
  const onError = options.onError ?? (() => undefined);
  const entry = options.entry === undefined ? usageWriterEntry() : { url: options.entry, bootstrap: null };
  let worker: Worker | null = null;
  let nextId = 0;
  const pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

  const failAll = (error: Error): void => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  const start = (): Worker => {
    const workerData = { databaseUrl: options.databaseUrl } satisfies WriterStart;
    const started =
      entry.bootstrap === null
        ? new Worker(entry.url, { workerData })
        : new Worker(entry.bootstrap, { eval: true, workerData });
    started.on('message', (reply: WriterReply) => {
      const waiting = pending.get(reply.id);
      if (waiting === undefined) return;
      pending.delete(reply.id);
      if ('error' in reply) waiting.reject(new Error(reply.error));
      else waiting.resolve();
    });
    started.on('error', (error) => onError(error, 'usage writer thread'));
    started.on('exit', (code) => {
      if (worker === started) worker = null;
      // Its batches were not acknowledged: the batcher keeps them and writes them again.
      failAll(new Error(`the usage writer thread exited (code ${code})`));
    });
    return started;
  };
  const send = (request: WriterRequest): void => {
    worker ??= start();
    worker.postMessage(request);
  };
  // Started now, not at the first batch: it opens its connection (and, from the sources, compiles
  // its modules) while the server boots, so an early shutdown does not wait for that.
  worker = start();

  const batcher = createUsageBatcher(
    options,
    (events) =>
      new Promise<void>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        send({ kind: 'write', id, events: JSON.stringify(events) });
      }),
    1_000,
  );
  return {
    emit: (event) => batcher.add(event),
    flush: () => batcher.flush(),
    async close() {
      await batcher.close();
      const running = worker;
      if (running === null) return;
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.postMessage({ kind: 'close' } satisfies WriterRequest);
      // The thread closes its connection and ends; one that hangs is not allowed to hold shutdown.
      const timer = setTimeout(() => void running.terminate(), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
