import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startMockAnthropic, startMockUpstream, type MockAnthropic, type MockUpstream } from '@aisbf/testkit';
import { ensureTestClient } from '../../scripts/install-test-clients';
import { graphql, spawnAisbf, type AisbfProcess } from '../support/spawn-aisbf';

// Claude Code as a real client of `aisbf start` (docs/clients.md): `claude -p` offline with a
// scratch HOME, its own `claude-…` model names reaching a rotation through an alias. Run once on an
// OpenAI-compatible backend (translated both ways) and once on an anthropic backend (pass-through);
// each backend calls Claude Code's Bash tool, then quotes the tool's output.
const ADMIN = 'aisbf_claudeE2eAdminToken0123456789abcdefghijk';
const KEY = 'sk-claude-e2e-backend-key';
const MARKER_COMMAND = 'echo claude-ran-$((6*7))';
const MCP_TOOL = 'mcp__aisbf__list_routes';

let aisbf: AisbfProcess;
let upstream: MockUpstream;
let anthropic: MockAnthropic;
let dir: string;
let token = '';
let claude = '';

/** The text of a tool_result block (a string, or text blocks). */
const resultText = (block: Record<string, unknown>): string =>
  typeof block['content'] === 'string'
    ? block['content']
    : ((block['content'] as Array<{ text?: string }> | undefined) ?? []).map((b) => b.text ?? '').join('');

beforeAll(async () => {
  claude = ensureTestClient('claude-code');
  upstream = await startMockUpstream({ models: ['qwen2.5-coder:32b'], apiKey: KEY });
  anthropic = await startMockAnthropic({
    apiKey: KEY,
    models: ['claude-backend-1'],
    reply: (body) => {
      const last = (body['messages'] as Array<{ content: unknown }>).at(-1)?.content;
      const result = Array.isArray(last)
        ? (last as Array<Record<string, unknown>>).find((b) => b['type'] === 'tool_result')
        : undefined;
      if (result !== undefined) return [{ type: 'text', text: `Tool result: ${resultText(result)}` }];
      const tools = (body['tools'] as Array<{ name: string }> | undefined) ?? [];
      // With aisbf added as an MCP server, Claude Code offers its tools as `mcp__aisbf__<tool>`.
      if (tools.some((t) => t.name === MCP_TOOL)) return [{ type: 'tool_use', name: MCP_TOOL, input: {} }];
      if (!tools.some((t) => t.name === 'Bash')) return [{ type: 'text', text: 'no tools here' }];
      return [{ type: 'tool_use', name: 'Bash', input: { command: MARKER_COMMAND, description: 'marker' } }];
    },
  });
  dir = mkdtempSync(join(tmpdir(), 'aisbf-claude-'));
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
    (await ok('mutation { createApiToken(owner: "alice", name: "claude") { token } }')) as {
      createApiToken: { token: string };
    }
  ).createApiToken.token;
  const provider = 'mutation($i: ProviderInput!) { upsertProvider(owner: "alice", input: $i) { id } }';
  await ok(provider, {
    i: {
      id: 'coderai-local',
      type: 'OpenAI-compatible',
      endpoint: upstream.url,
      apiKey: KEY,
      models: ['qwen2.5-coder:32b'],
    },
  });
  await ok(provider, {
    i: { id: 'claude-local', type: 'anthropic', endpoint: anthropic.url, apiKey: KEY, models: ['claude-backend-1'] },
  });
  const rotation = 'mutation($id: String!, $c: JSON!) { upsertRotation(owner: "alice", id: $id, config: $c) { id } }';
  await ok(rotation, {
    id: 'coding-production',
    c: { providers: [{ provider_id: 'coderai-local', model: 'qwen2.5-coder:32b' }], aliases: ['claude-*'] },
  });
  await ok(rotation, {
    id: 'claude-native',
    c: { providers: [{ provider_id: 'claude-local', model: 'claude-backend-1' }] },
  });
}, 300_000);

afterAll(async () => {
  expect(await aisbf?.stop()).toBe(0);
  await upstream?.close();
  await anthropic?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Runs `claude -p` with a scratch home (or the one given). */
function runClaude(prompt: string, model: string, options: { home?: string; allowedTools?: string } = {}): Run {
  const home = options.home ?? scratchHome();
  return spawnClaude(home, [
    '-p',
    prompt,
    '--allowedTools',
    options.allowedTools ?? 'Bash',
    '--output-format',
    'json',
    '--model',
    model,
    '--max-turns',
    '4',
  ]);
}

type Run = Promise<{ code: number | null; stdout: string; stderr: string }>;

function scratchHome(): string {
  const home = mkdtempSync(join(dir, 'home-'));
  mkdirSync(join(home, '.claude'), { recursive: true });
  return home;
}

/** Runs `claude <args>` in `home` with no traffic but to aisbf; resolves with its exit code and output. */
function spawnClaude(home: string, args: string[]): Run {
  return new Promise((resolve) => {
    const child = spawn(claude, args, {
      cwd: home,
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: home,
        CLAUDE_CONFIG_DIR: join(home, '.claude'),
        ANTHROPIC_BASE_URL: aisbf.url,
        ANTHROPIC_AUTH_TOKEN: token,
        // Offline: no update checks, telemetry, error reports or other calls but the model's.
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        DISABLE_AUTOUPDATER: '1',
        DISABLE_TELEMETRY: '1',
        DISABLE_ERROR_REPORTING: '1',
        DISABLE_BUG_COMMAND: '1',
        // Offer MCP tools up front: with tool search on, Claude Code defers them behind `ToolSearch`.
        ENABLE_TOOL_SEARCH: 'false',
        API_TIMEOUT_MS: '20000',
      },
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

const finalResult = (run: { stdout: string; stderr: string }): { result: string; is_error: boolean } => {
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  if (!line.startsWith('{')) throw new Error(`claude printed no JSON result:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(line) as { result: string; is_error: boolean };
};

it('claude -p on an OpenAI-compatible backend: Bash runs locally, its output reaches the backend, the answer is printed', async () => {
  upstream.setDefault({
    kind: 'tool-call',
    tool: 'Bash',
    args: JSON.stringify({ command: MARKER_COMMAND, description: 'marker' }),
  });
  const run = await runClaude('Run the marker command and tell me what it printed.', 'claude-sonnet-4-5');
  expect(run.code, run.stderr).toBe(0);
  const result = finalResult(run);
  expect(result.is_error).toBe(false);
  // The backend's answer quoting the tool's output is what Claude Code printed…
  expect(result.result).toMatch(/Tool result: [\s\S]*claude-ran-42/);
  // …and that output went back through aisbf as a tool message (the arithmetic proves a real shell ran it).
  const chats = upstream.requests.filter((r) => r.path.endsWith('/chat/completions'));
  const withTool = chats.find((r) =>
    (r.body as { messages: Array<{ role: string }> }).messages.some((m) => m.role === 'tool'),
  );
  expect(withTool).toBeDefined();
  const toolMessage = (withTool!.body as { messages: Array<{ role: string; content: unknown }> }).messages.find(
    (m) => m.role === 'tool',
  )!;
  expect(JSON.stringify(toolMessage.content)).toContain('claude-ran-42');
  const first = chats[0]!.body as { model: string; tools: Array<{ function: { name: string } }> };
  expect(first.model).toBe('qwen2.5-coder:32b');
  expect(first.tools.map((t) => t.function.name)).toContain('Bash');
}, 120_000);

it('claude -p on an anthropic backend (pass-through): the backend sees Claude Code’s own request, betas included', async () => {
  const run = await runClaude('Run the marker command and tell me what it printed.', 'user-rotation/claude-native');
  expect(run.code, run.stderr).toBe(0);
  const result = finalResult(run);
  expect(result.result).toMatch(/Tool result: [\s\S]*claude-ran-42/);
  const messages = anthropic.requests.filter((r) => r.path === '/v1/messages');
  const withResult = messages.find((r) => r.raw.includes('claude-ran-42'));
  expect(withResult).toBeDefined();
  expect(withResult!.headers['anthropic-beta']).toEqual(expect.any(String));
  expect((withResult!.body as { model: string }).model).toBe('claude-backend-1');
}, 120_000);

it('the Anthropic SDK through aisbf start: pass-through stream and count_tokens', async () => {
  const client = new Anthropic({ apiKey: token, baseURL: aisbf.url, maxRetries: 0 });
  const stream = client.messages.stream({
    model: 'user-rotation/claude-native',
    max_tokens: 64,
    messages: [{ role: 'user', content: 'hello' }],
  });
  const message = await stream.finalMessage();
  expect(message.content).toEqual([{ type: 'text', text: 'no tools here' }]);
  expect(message.model).toBe('claude-backend-1');
  const counted = await client.messages.countTokens({
    model: 'claude-sonnet-4-5',
    messages: [{ role: 'user', content: 'hello there' }],
  });
  expect(counted.input_tokens).toBeGreaterThan(0);
}, 60_000);

it('claude mcp add --transport http: Claude Code calls aisbf’s MCP tools with the user’s token (docs/mcp.md)', async () => {
  const home = scratchHome();
  // The command docs/mcp.md gives, run as written (local scope: this scratch project).
  const add = await spawnClaude(home, [
    'mcp',
    'add',
    '--transport',
    'http',
    'aisbf',
    `${aisbf.url}/mcp`,
    '--header',
    `Authorization: Bearer ${token}`,
  ]);
  expect(add.code, add.stderr).toBe(0);
  const before = anthropic.requests.length;
  const run = await runClaude('Which aisbf routes can I call?', 'user-rotation/claude-native', {
    home,
    allowedTools: MCP_TOOL,
  });
  expect(run.code, run.stderr).toBe(0);
  const result = finalResult(run);
  expect(result.is_error).toBe(false);
  // The backend was offered aisbf's tools, asked for list_routes, and got alice's routes back as the
  // tool's result: Claude Code connected to /mcp over Streamable HTTP with alice's token.
  const sent = anthropic.requests.slice(before).filter((r) => r.path === '/v1/messages');
  const offered = sent.find((r) =>
    ((r.body as { tools?: Array<{ name: string }> }).tools ?? []).some((t) => t.name === MCP_TOOL),
  );
  expect(offered).toBeDefined();
  const withResult = sent.find((r) => r.raw.includes('tool_result'));
  expect(withResult?.raw).toContain('user-rotation/claude-native');
  expect(withResult?.raw).toContain('user-rotation/coding-production');
  expect(result.result).toContain('user-rotation/coding-production');
}, 120_000);
