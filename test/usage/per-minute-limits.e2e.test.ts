import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '@aisbf/testkit';
import { graphql, spawnAisbf, type AisbfProcess } from '../support/spawn-aisbf';

// `requestsPerMinute` was ignored under `aisbf start` (no limiter was wired in) and `tokensPerMinute`
// was accepted but enforced nowhere. Both now hold through a real `aisbf start` (docs/usage.md
// "Per-minute limits"): requests are counted before they run, tokens are checked before and
// accounted from each finished request's usage.
const ADMIN = 'aisbf_perMinuteLimitsAdmin0123456789abcdefghij';
/** The mock answers `w1 … w10`: 10 completion tokens, plus 1 prompt token for "hi". */
const TOKENS_PER_REQUEST = 11;
let aisbf: AisbfProcess;
let mock: MockUpstream;
let dataDir: string;

beforeAll(async () => {
  mock = await startMockUpstream({ models: ['m'], words: 10 });
  dataDir = mkdtempSync(join(tmpdir(), 'aisbf-per-minute-'));
  aisbf = await spawnAisbf(
    'start',
    { AISBF_DATA_DIR: dataDir, AISBF_ADMIN_TOKEN: ADMIN, AISBF_HOST: '127.0.0.1' },
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
  await aisbf?.stop();
  await mock?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Windows are whole clock minutes: a test that starts in a minute's last seconds waits for the next. */
async function awayFromMinuteEnd(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 8_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
}

async function token(name: string, limits: Record<string, number> | null, owner?: string): Promise<string> {
  const created = await graphql<{ createApiToken: { token: string } }>(
    aisbf.url,
    ADMIN,
    'mutation($name: String!, $limits: JSON, $owner: String) { createApiToken(name: $name, limits: $limits, owner: $owner) { token } }',
    { name, limits, owner },
  );
  expect(created.errors).toBeUndefined();
  return created.data!.createApiToken.token;
}

const chat = (bearer: string): Promise<Response> =>
  fetch(`${aisbf.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'up/m', messages: [{ role: 'user', content: 'hi' }] }),
  });

/** Sequential requests until the first refusal (at most `max`); the statuses. */
async function until429(bearer: string, max: number): Promise<Response[]> {
  const out: Response[] = [];
  for (let i = 0; i < max; i++) {
    const response = await chat(bearer);
    out.push(response);
    if (response.status === 429) break;
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  }
  return out;
}

describe('per-minute limits under aisbf start', () => {
  it('requestsPerMinute on a token: the third request of the minute is 429 with Retry-After', async () => {
    await awayFromMinuteEnd();
    const bearer = await token('rpm', { requestsPerMinute: 2 });
    const answers = await until429(bearer, 4);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 429]);
    const refused = answers[2]!;
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await refused.json()).toMatchObject({
      error: { type: 'rate_limit_error', code: 'rate_limit_exceeded', message: expect.stringMatching(/2 requests/) },
    });
    // Another token of the same user is not limited by this one's count.
    expect((await chat(await token('rpm-other', null))).status).toBe(200);
  });

  it('tokensPerMinute on a token: refused once the minute spent the limit, counted from usage', async () => {
    await awayFromMinuteEnd();
    const limit = 2 * TOKENS_PER_REQUEST + 3;
    const bearer = await token('tpm', { tokensPerMinute: limit });
    const before = mock.requests.length;
    const answers = await until429(bearer, 6);
    // 0 and 11 and 22 spent are below 25: three requests run; 33 is not: the fourth is refused
    // without reaching the backend.
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(mock.requests.length - before).toBe(3);
    const refused = answers[3]!;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toMatchObject({
      error: { type: 'rate_limit_error', message: expect.stringMatching(new RegExp(`${limit} tokens per minute`)) },
    });
  });

  it("tokensPerMinute on a user holds across the user's tokens, in the Anthropic shape on /v1/messages", async () => {
    await awayFromMinuteEnd();
    const user = await graphql(aisbf.url, ADMIN, 'mutation { createUser(username: "tpmuser") { id } }');
    expect(user.errors).toBeUndefined();
    const limited = await graphql(
      aisbf.url,
      ADMIN,
      'mutation($limits: JSON) { updateUser(username: "tpmuser", limits: $limits) { id } }',
      { limits: { tokensPerMinute: 15 } },
    );
    expect(limited.errors).toBeUndefined();
    const first = await token('tpm-a', null, 'tpmuser');
    const second = await token('tpm-b', null, 'tpmuser');
    // 11 spent < 15, then 22: the user's next request is refused, whichever token sends it.
    expect((await chat(first)).status).toBe(200);
    expect((await chat(second)).status).toBe(200);
    expect((await chat(first)).status).toBe(429);
    const messages = await fetch(`${aisbf.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': second, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'up/m', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(messages.status).toBe(429);
    expect(Number(messages.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await messages.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
  });
});
