import { parentPort, workerData } from 'node:worker_threads';
import type { UsageEvent } from '@aisbf/core';
import { createDatabase } from '@aisbf/db';
import { writeUsage } from './usage-flush.processor';
import type { WriterReply, WriterRequest, WriterStart } from './usage-writer-messages';

/**
 * The usage writer thread of `aisbf start` (thread-usage-sink.ts): its own connection to the
 * database, the same `writeUsage` as everywhere else, one batch at a time as the main thread sends
 * them. Bundled as `usage-writer.mjs` next to `aisbf.mjs` (scripts/bundle.ts).
 */
const port = parentPort!;
// One batch at a time: a MySQL pool of two is plenty (a retry may overlap a slow close).
const database = createDatabase((workerData as WriterStart).databaseUrl, { poolSize: 2 });
port.on('message', (message: WriterRequest) => {
  if (message.kind === 'close') {
    void database.close().finally(() => port.close());
    return;
  }
  writeUsage({ db: database.db }, JSON.parse(message.events) as UsageEvent[]).then(
    (result) => port.postMessage({ id: message.id, inserted: result.inserted } satisfies WriterReply),
    (error: unknown) =>
      port.postMessage({
        id: message.id,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      } satisfies WriterReply),
  );
});
