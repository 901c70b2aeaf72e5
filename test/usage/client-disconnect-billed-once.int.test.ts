import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, migrateToLatest, type DatabaseHandle } from '@aisbf/db';
import { createDbUsageSink } from '@aisbf/jobs';
import { createTestMysqlDatabase } from '@aisbf/testkit';
import { startHarness, type Harness } from '../../packages/data-plane/src/test-harness';

// docs/usage.md on MariaDB: a stream the client cuts mid-answer is billed exactly once, with
// the backend's usage when it arrived, else an estimate flagged as such.
let database: DatabaseHandle;
let h: Harness;
let sink: ReturnType<typeof createDbUsageSink>;

beforeAll(async () => {
  database = createDatabase(await createTestMysqlDatabase('disconnect'));
  await migrateToLatest(database.db);
  sink = createDbUsageSink({ db: database.db, flushMs: 50 });
  h = await startHarness({
    providers: [
      {
        id: 'slow',
        models: [{ name: 'm1', pricing: { prompt: 1, completion: 2 } }],
        mock: { words: 60, chunkDelayMs: 25 },
      },
    ],
    deps: { usageSink: sink },
  });
});

afterAll(async () => {
  await h?.close();
  await sink?.close();
  await database?.close();
});

describe('client disconnect mid-stream', () => {
  it('writes exactly one usage row, flagged as estimated, and cancels the upstream request', async () => {
    const controller = new AbortController();
    const response = await fetch(`${h.v1}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.tokens.alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'user-provider/slow/m1',
        stream: true,
        messages: [{ role: 'user', content: 'count to sixty' }],
      }),
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let received = '';
    while ((received.match(/"content":" ?w\d/g) ?? []).length < 10) {
      const { value, done } = await reader.read();
      if (done) break;
      received += new TextDecoder().decode(value);
    }
    controller.abort();
    await reader.cancel().catch(() => undefined);
    const upstream = h.mocks['slow']!;
    await expect.poll(() => upstream.requests.at(-1)?.aborted, { timeout: 5000 }).toBe(true);
    await expect
      .poll(async () => (await database.db.selectFrom('usage_records').selectAll().execute()).length, { timeout: 5000 })
      .toBe(1);
    await sink.flush();
    const rows = await database.db.selectFrom('usage_records').selectAll().execute();
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.outcome).toBe('client_disconnect');
    expect(Number(row.estimated)).toBe(1);
    // An estimate of what was delivered (about ten words), not the whole answer.
    expect(Number(row.completion_tokens)).toBeGreaterThan(0);
    expect(Number(row.completion_tokens)).toBeLessThan(60);
    expect(row.model).toBe('m1');
  });
});
