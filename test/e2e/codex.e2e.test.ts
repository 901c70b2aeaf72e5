import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '@aisbf/testkit';
import { ensureTestClient } from '../../scripts/install-test-clients';
import { graphql, spawnAisbf, type AisbfProcess } from '../support/spawn-aisbf';

// Codex CLI as a real client of `aisbf start` (docs/clients.md): offline, scratch HOME and
// CODEX_HOME, its own model name reaching a rotation through an alias. The backend is the strict
// OpenAI-compatible mock: it calls Codex's shell tool, then quotes the tool's output.
const ADMIN = 'aisbf_codexE2eAdminToken0123456789abcdefghijk';
const KEY = 'sk-codex-e2e-backend-key';
const MARKER_COMMAND = 'echo codex-ran-$((6*7))';

let aisbf: AisbfProcess;
let upstream: MockUpstream;
let dir: string;
let token = '';
let codex = '';

beforeAll(async () => {
  codex = ensureTestClient('codex');
  upstream = await startMockUpstream({ models: ['qwen2.5-coder:32b'], apiKey: KEY });
  dir = mkdtempSync(join(tmpdir(), 'aisbf-codex-'));
  aisbf = await spawnAisbf(
    'start',
    { AISBF_DATA_DIR: join(dir, 'data'), AISBF_ADMIN_TOKEN: ADMIN, AISBF_HOST: '127.0.0.1' },
    { args: ['--port', '0'] },
  );
  const ok = async (query: string, variables: Record<string, unknown> = {}): Promise<Record<string, unknown>> => {
    const r = await graphql(aisbf.url, ADMIN, query, variables);
    expect(r.errors).toBeUndefined();
    return r.data!;
  };
  await ok('mutation { createUser(username: "alice") { id } }');
  token = (
    (await ok('mutation { createApiToken(owner: "alice", name: "codex") { token } }')) as {
      createApiToken: { token: string };
    }
  ).createApiToken.token;
  await ok('mutation($i: ProviderInput!) { upsertProvider(owner: "alice", input: $i) { id } }', {
    i: {
      id: 'coderai-local',
      type: 'OpenAI-compatible',
      endpoint: upstream.url,
      apiKey: KEY,
      models: ['qwen2.5-coder:32b'],
    },
  });
  await ok('mutation($c: JSON!) { upsertRotation(owner: "alice", id: "coding-production", config: $c) { id } }', {
    c: { providers: [{ provider_id: 'coderai-local', model: 'qwen2.5-coder:32b' }], aliases: ['gpt-*'] },
  });
}, 300_000);

afterAll(async () => {
  expect(await aisbf?.stop()).toBe(0);
  await upstream?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Runs `codex exec --json` with a scratch home; resolves with its exit code and output. */
function runCodex(prompt: string, base: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const home = join(dir, 'home');
  const codexHome = join(home, '.codex');
  mkdirSync(codexHome, { recursive: true });
  writeFileSync(
    join(codexHome, 'config.toml'),
    [
      'model = "gpt-5-codex"',
      'model_provider = "aisbf"',
      'check_for_update_on_startup = false',
      'approval_policy = "never"',
      'sandbox_mode = "danger-full-access"',
      '[analytics]',
      'enabled = false',
      '[features]',
      'plugins = false',
      '[model_providers.aisbf]',
      'name = "aisbf"',
      `base_url = "${base}"`,
      'env_key = "AISBF_TOKEN"',
      'wire_api = "responses"',
      'request_max_retries = 0',
      'stream_max_retries = 0',
      '',
    ].join('\n'),
  );
  return new Promise((resolve) => {
    const child = spawn(codex, ['exec', '--skip-git-repo-check', '--json', prompt], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', HOME: home, CODEX_HOME: codexHome, AISBF_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

it('codex exec runs the tool locally, its output reaches the backend through aisbf, and prints the answer', async () => {
  upstream.setDefault({ kind: 'tool-call', tool: 'exec_command', args: JSON.stringify({ cmd: MARKER_COMMAND }) });
  const run = await runCodex('Run the marker command and tell me what it printed.', `${aisbf.url}/v1`);
  expect(run.code).toBe(0);
  const events = run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { type: string; item?: Record<string, unknown> });
  const items = events.filter((e) => e.type === 'item.completed').map((e) => e.item!);
  // The shell ran locally (the arithmetic proves a real shell did it)…
  expect(items).toContainEqual(
    expect.objectContaining({ type: 'command_execution', aggregated_output: 'codex-ran-42\n', exit_code: 0 }),
  );
  // …its output went back through aisbf to the backend as a tool message…
  const chats = upstream.requests.filter((r) => r.path.endsWith('/chat/completions'));
  expect(chats).toHaveLength(2);
  const first = chats[0]!.body as { model: string; tools: Array<{ function: { name: string } }> };
  expect(first.model).toBe('qwen2.5-coder:32b');
  expect(first.tools.map((t) => t.function.name)).toContain('exec_command');
  const second = chats[1]!.body as {
    messages: Array<{ role: string; content: string; tool_call_id?: string; tool_calls?: Array<{ id: string }> }>;
  };
  const toolMessage = second.messages.at(-1)!;
  // The id is the one the backend gave its tool call (the mock numbers them by its request count).
  const call = second.messages.find((m) => m.role === 'assistant' && m.tool_calls !== undefined)?.tool_calls?.[0];
  expect(call?.id).toMatch(/^call_mock_\d+$/);
  expect(toolMessage).toMatchObject({ role: 'tool', tool_call_id: call!.id });
  expect(toolMessage.content).toContain('codex-ran-42');
  // …and the backend's answer quoting it is what Codex printed.
  const answer = items.find((i) => i['type'] === 'agent_message');
  expect(answer?.['text']).toMatch(/^Tool result: [\s\S]*codex-ran-42/);
  expect(events.at(-1)?.type).toBe('turn.completed');
}, 120_000);
