import { parentPort, workerData } from 'node:worker_threads';
import type { UsageEvent } from '@aisbf/core';
import { createDatabase } from '@aisbf/db';
import { createUsageWriter } from './usage-writer';
import type { WriterReply, WriterRequest, WriterStart } from './usage-writer-messages';

/**
 * The usage writer thread of `aisbf start` (thread-usage-sink.ts): its own connection to the
 * database, one batch at a time as the main thread sends them, written by `createUsageWriter` (on
 * SQLite its prepared statements; on MySQL/MariaDB the same `writeUsage` as the cluster worker). Bundled as `usage-writer.mjs` next to `aisbf.mjs` (scripts/bundle.ts).
 */
const port = parentPort!;
// One batch at a time: a MySQL pool of two is plenty (a retry may overlap a slow close).
const database = createDatabase((workerData as WriterStart).databaseUrl, { poolSize: 2 });
const write = createUsageWriter(database);
port.on('message', (message: WriterRequest) => {
  if (message.kind === 'close') {
    void database.close().finally(() => port.close());
    return;
  }
  write(JSON.parse(message.events) as UsageEvent[]).then(
    (inserted) => port.postMessage({ id: message.id, inserted } satisfies WriterReply),
    (error: unknown) =>
      port.postMessage({
        id: message.id,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      } satisfies WriterReply),
  );
});
