import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, migrateToLatest, type DatabaseHandle } from '@aisbf/db';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createThreadUsageSink, usageWriterEntry } from './thread-usage-sink';
import { makeUsageEvent } from './test-support/usage-events';

describe('thread usage sink (aisbf start: usage written by a thread of its own)', () => {
  let dir: string;
  let url: string;
  let handle: DatabaseHandle;
  const rows = async (): Promise<number> => (await handle.db.selectFrom('usage_records').select('id').execute()).length;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aisbf-usage-thread-'));
    url = `sqlite:${join(dir, 'aisbf.db')}`;
    handle = createDatabase(url);
    await migrateToLatest(handle.db);
  });
  afterEach(async () => {
    await handle.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every event exactly once, in batches, while this thread keeps using the same file', async () => {
    const sink = createThreadUsageSink({ databaseUrl: url, batchSize: 100, flushMs: 10 });
    try {
      for (let i = 0; i < 1_050; i++) {
        sink.emit(makeUsageEvent('t', i));
        // This thread reads (and the thread writes) the same WAL database meanwhile.
        if (i % 250 === 0) await rows();
      }
      await sink.flush();
      expect(await rows()).toBe(1_050);
      // A batch sent again (as after an unacknowledged write) adds nothing: insert-or-ignore by id.
      for (let i = 0; i < 100; i++) sink.emit(makeUsageEvent('t', i));
      await sink.flush();
      expect(await rows()).toBe(1_050);
      const tokens = await handle.db
        .selectFrom('usage_records')
        .select((eb) => eb.fn.sum<number>('prompt_tokens').as('sum'))
        .executeTakeFirstOrThrow();
      expect(Number(tokens.sum)).toBe(
        Array.from({ length: 1_050 }, (_, i) => makeUsageEvent('t', i).promptTokens).reduce((a, b) => a + b, 0),
      );
    } finally {
      await sink.close();
    }
  });

  it('close() writes what is still buffered before the thread ends (nothing lost on shutdown)', async () => {
    // A flush interval far beyond the test: only close() can write these.
    const sink = createThreadUsageSink({ databaseUrl: url, batchSize: 10_000, flushMs: 600_000 });
    // The thread is up first (from the sources it compiles its modules, slow on a busy machine):
    // close() gives a writer that does not answer 5 s, and this test is about what it writes.
    sink.emit(makeUsageEvent('s', 0));
    await sink.flush();
    for (let i = 1; i < 322; i++) sink.emit(makeUsageEvent('s', i));
    expect(await rows()).toBe(1);
    await sink.close();
    expect(await rows()).toBe(322);
  });

  it('finds its module beside the sources, or beside aisbf.mjs when the code is a bundle chunk', () => {
    const fromSources = usageWriterEntry(new URL('./thread-usage-sink.ts', import.meta.url).href);
    expect(fromSources.url.href).toBe(new URL('./usage-writer-entry.ts', import.meta.url).href);
    expect(fromSources.bootstrap).toContain('tsx');
    expect(usageWriterEntry('file:///app/dist/chunks/chunk-ABC.mjs')).toEqual({
      url: new URL('file:///app/dist/usage-writer.mjs'),
      bootstrap: null,
    });
    expect(usageWriterEntry('file:///app/dist/aisbf.mjs').url.href).toBe('file:///app/dist/usage-writer.mjs');
  });
});
