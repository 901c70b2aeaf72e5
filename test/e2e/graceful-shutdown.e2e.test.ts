import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '@aisbf/db';
import { startMockUpstream, type MockUpstream } from '@aisbf/testkit';
import { graphql, spawnAisbf, type AisbfProcess } from '../support/spawn-aisbf';

// docs/operations.md, shutdown: SIGTERM while 50 streams are open. Every stream completes or ends with an error event
// within the grace period, every request's usage is written, and the process exits 0.
const ADMIN = 'aisbf_shutdownAdmin0123456789abcdefghijklmn';
let aisbf: AisbfProcess;
let mock: MockUpstream;
let dataDir: string;

beforeAll(async () => {
  mock = await startMockUpstream({ models: ['slow'], words: 30, chunkDelayMs: 40 });
  dataDir = mkdtempSync(join(tmpdir(), 'aisbf-shutdown-'));
  aisbf = await spawnAisbf(
    'start',
    { AISBF_DATA_DIR: dataDir, AISBF_ADMIN_TOKEN: ADMIN, AISBF_HOST: '127.0.0.1', AISBF_SHUTDOWN_GRACE_MS: '8000' },
    { args: ['--port', '0'] },
  );
  const provider = await graphql(
    aisbf.url,
    ADMIN,
    'mutation($i: ProviderInput!) { upsertProvider(owner: "GLOBAL", input: $i) { id } }',
    { i: { id: 'lan', type: 'openai', endpoint: mock.url, models: ['slow'] } },
  );
  expect(provider.errors).toBeUndefined();
}, 120_000);

afterAll(async () => {
  await aisbf?.stop(0);
  await mock?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function readStream(url: string): Promise<string> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'lan/slow', stream: true, messages: [{ role: 'user', content: 'count' }] }),
  });
  expect(response.status).toBe(200);
  return response.text();
}

describe('SIGTERM with 50 open streams', () => {
  it('lets every stream finish, records all usage and exits 0', { timeout: 90_000 }, async () => {
    const streams = Array.from({ length: 50 }, () => readStream(aisbf.url));
    // Wait until the backend has seen all of them, so they are mid-answer when the signal lands.
    while (mock.requests.filter((r) => r.path.endsWith('/chat/completions')).length < 50)
      await new Promise((r) => setTimeout(r, 20));
    const code = await aisbf.stop(20_000);
    const bodies = await Promise.all(streams);
    expect(code).toBe(0);
    for (const body of bodies) {
      const complete = body.trimEnd().endsWith('data: [DONE]');
      const erroredCleanly = /data: \{"error":/.test(body) && !body.includes('[DONE]');
      expect(complete || erroredCleanly).toBe(true);
    }
    expect(bodies.filter((b) => b.trimEnd().endsWith('data: [DONE]')).length).toBe(50);
    const database = createDatabase(`sqlite:${join(dataDir, 'aisbf.db')}`);
    try {
      const rows = await database.db
        .selectFrom('usage_records')
        .select(({ fn }) => fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(rows.n)).toBe(50);
    } finally {
      await database.close();
    }
  });
});
