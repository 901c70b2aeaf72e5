import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '@aisbf/testkit';
import { spawnAisbf, type AisbfProcess } from '../support/spawn-aisbf';

// The README's walkthrough exactly as a newcomer runs it: `aisbf start` with an admin token in the
// README's format, then `bash docs/examples/walkthrough.sh` (the seed's documents, imported from
// docs/examples/ as files), then the printed token and password used as printed. Only the
// backends' addresses differ: the script takes them from the environment, here local mocks.
const root = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);
const readme = readFileSync(join(root, 'README.md'), 'utf8');
// The README's own one-liner for a token, run as written.
const tokenLine = /^export AISBF_ADMIN_TOKEN=(.+)$/m.exec(readme)?.[1];

let aisbf: AisbfProcess;
let dataDir: string;
let adminToken = '';
let output = '';
const mocks: Record<string, MockUpstream> = {};

beforeAll(async () => {
  expect(tokenLine, 'the README shows how to make an admin token').toBeDefined();
  adminToken = (await run('bash', ['-c', `echo ${tokenLine}`])).stdout.trim();
  mocks['coderai'] = await startMockUpstream({ models: ['qwen2.5-coder:32b'], words: 6, apiKey: 'coderai-key-1' });
  mocks['runpod'] = await startMockUpstream({
    models: ['deepseek-coder-v2', 'mixtral-8x22b-instruct'],
    words: 6,
    apiKey: 'runpod-key-2',
  });
  mocks['openai'] = await startMockUpstream({ models: ['gpt-4.1-mini'], words: 6, apiKey: 'openai-key-3' });
  dataDir = mkdtempSync(join(tmpdir(), 'aisbf-walkthrough-'));
  aisbf = await spawnAisbf(
    'start',
    { AISBF_DATA_DIR: dataDir, AISBF_ADMIN_TOKEN: adminToken, AISBF_HOST: '127.0.0.1' },
    { args: ['--port', '0'] },
  );
  const script = await run('bash', [join(root, 'docs/examples/walkthrough.sh')], {
    env: {
      PATH: process.env['PATH'] ?? '',
      AISBF_URL: aisbf.url,
      AISBF_ADMIN_TOKEN: adminToken,
      CODERAI_ENDPOINT: mocks['coderai'].url,
      CODERAI_BROKER_TOKEN: 'coderai-key-1',
      RUNPOD_ENDPOINT: mocks['runpod'].url,
      RUNPOD_API_KEY: 'runpod-key-2',
      OPENAI_ENDPOINT: mocks['openai'].url,
      OPENAI_API_KEY: 'openai-key-3',
    },
  });
  output = script.stdout;
}, 120_000);

afterAll(async () => {
  await aisbf?.stop();
  await Promise.all(Object.values(mocks).map((m) => m.close()));
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

const printed = (name: string): string => {
  const value = new RegExp(`${name}[=:] ?(\\S+)`).exec(output)?.[1];
  expect(value, `the script prints ${name}`).toBeDefined();
  return value!;
};

describe('the README walkthrough, run as written', () => {
  it('tells the reader to run the script the test runs, with a token in the accepted format', () => {
    expect(readme).toContain('bash docs/examples/walkthrough.sh');
    expect(adminToken).toMatch(/^aisbf_[A-Za-z0-9_-]{32,}$/);
  });

  it('imports the seed documents from docs/examples with no warning left', () => {
    const warnings = [...output.matchAll(/"warnings":(\[[^\]]*\])/g)].map((m) => m[1]);
    expect(warnings).toHaveLength(3);
    expect(warnings).toEqual(['[]', '[]', '[]']);
  });

  it('makes alice a user who can sign in with the printed password', async () => {
    const login = await fetch(`${aisbf.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: aisbf.url },
      body: JSON.stringify({ username: 'alice', password: printed("alice's password") }),
    });
    expect(login.status).toBe(200);
    expect(login.headers.get('set-cookie')).toMatch(/=/);
  });

  it("serves alice's rotation and autoselect through the printed token with the openai SDK", async () => {
    const client = new OpenAI({ baseURL: `${aisbf.url}/v1`, apiKey: printed('ALICE_TOKEN'), maxRetries: 0 });
    const rotation = await client.chat.completions
      .create({ model: 'user-rotation/coding-production', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(rotation.data.choices[0]?.message.content).toMatch(/\w/);
    expect(rotation.response.headers.get('x-aisbf-route')).toBe('user-rotation/coding-production');
    const stream = await client.chat.completions.create({
      model: 'user-autoselect/engineering',
      messages: [{ role: 'user', content: 'my password is hunter2, refactor the login' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toMatch(/\w/);
    // A private prompt stays on the LAN broker: the selection model and the answer both ran there.
    expect(mocks['coderai']!.requests.length).toBeGreaterThanOrEqual(2);
    expect(mocks['openai']!.requests.filter((r) => r.path.endsWith('/chat/completions'))).toHaveLength(0);
  });
});
