import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '@aisbf/db';
import { startMockUpstream, testEnv, type MockUpstream } from '@aisbf/testkit';
import { graphql, spawnAisbf, type AisbfProcess } from '../support/spawn-aisbf';

// Usage is written exactly once per request under load through `aisbf start` (SQLite, in-process
// usage writes), and none is lost on SIGTERM: every request answered before the shutdown has its
// row once the process has exited. AISBF_TEST_USAGE_REQUESTS sets the load (default CI-sized).
const ADMIN = 'aisbf_usageLoadAdmin0123456789abcdefghijklm';
const CONCURRENCY = 64;
let aisbf: AisbfProcess;
let mock: MockUpstream;
let dataDir: string;
const agent = new Agent({ connections: CONCURRENCY, pipelining: 1 });

beforeAll(async () => {
  mock = await startMockUpstream({ models: ['m'], words: 3 });
  dataDir = mkdtempSync(join(tmpdir(), 'aisbf-usage-load-'));
  aisbf = await spawnAisbf(
    'start',
    { AISBF_DATA_DIR: dataDir, AISBF_ADMIN_TOKEN: ADMIN, AISBF_HOST: '127.0.0.1', AISBF_SHUTDOWN_GRACE_MS: '5000' },
    { args: ['--port', '0'] },
  );
  const provider = await graphql(
    aisbf.url,
    ADMIN,
    'mutation($i: ProviderInput!) { upsertProvider(owner: "GLOBAL", input: $i) { id } }',
    { i: { id: 'up', type: 'openai', endpoint: mock.url, models: ['m'], adminOnly: false } },
  );
  expect(provider.errors).toBeUndefined();
}, 120_000);

afterAll(async () => {
  await aisbf?.stop(0);
  await agent.close();
  await mock?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** One chat request (every other one streamed) with a request id of ours; its status, or null when cut. */
async function chat(requestId: string, stream: boolean): Promise<number | null> {
  try {
    const response = await request(`${aisbf.url}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: agent,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ model: 'up/m', stream, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const text = await response.body.text();
    // A stream that was cut mid-answer was not answered, whatever its status line said.
    if (stream && !text.includes('data: [DONE]')) return null;
    return response.statusCode;
  } catch {
    return null;
  }
}

/** Sends `ids` with `CONCURRENCY` requests in flight; resolves with each id's status. */
async function load(ids: string[], onAnswered?: (answered: number) => void): Promise<Map<string, number | null>> {
  const statuses = new Map<string, number | null>();
  let next = 0;
  let answered = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < ids.length) {
        const id = ids[next]!;
        const status = await chat(id, next++ % 2 === 1);
        statuses.set(id, status);
        if (status === 200) onAnswered?.(++answered);
      }
    }),
  );
  return statuses;
}

describe('usage under load through aisbf start', () => {
  it('writes exactly one usage row per request, and none is lost on SIGTERM', { timeout: 600_000 }, async () => {
    const total = testEnv().usageLoadRequests;
    const steady = Array.from({ length: total }, (_, i) => `load-${i}`);
    const first = await load(steady);
    expect([...first.values()].filter((s) => s === 200)).toHaveLength(total);

    // Then SIGTERM while requests are in flight: the clients keep sending until the server is gone.
    const late = Array.from({ length: total }, (_, i) => `late-${i}`);
    let signalled: Promise<number | null> | null = null;
    const second = await load(late, (answered) => {
      if (answered === Math.min(500, Math.floor(total / 4))) signalled = aisbf.stop(30_000);
    });
    expect(await signalled).toBe(0);
    const answeredLate = late.filter((id) => second.get(id) === 200);
    expect(answeredLate.length).toBeGreaterThan(0);

    const database = createDatabase(`sqlite:${join(dataDir, 'aisbf.db')}`);
    try {
      const rows = await database.db.selectFrom('usage_records').select(['request_id', 'status']).execute();
      const byId = new Map<string, number>();
      for (const row of rows) byId.set(row.request_id, (byId.get(row.request_id) ?? 0) + 1);
      // Exactly once: every request of the steady phase has one row, none has two.
      expect(steady.filter((id) => byId.get(id) !== 1)).toEqual([]);
      expect([...byId.values()].filter((n) => n > 1)).toEqual([]);
      // None lost on SIGTERM: every request answered before the process went away has its row.
      expect(answeredLate.filter((id) => byId.get(id) !== 1)).toEqual([]);
      console.log(
        `usage under load: ${total} requests → ${steady.filter((id) => byId.get(id) === 1).length} rows; SIGTERM phase: ${answeredLate.length} answered, all with a row; ${rows.length} rows in all`,
      );
    } finally {
      await database.close();
    }
  });
});
