import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMockAnthropic, type MockAnthropic } from '@aisbf/testkit';
import { post, startHarness, words, type Harness } from './test-harness';

/**
 * An Anthropic client on an `anthropic` entry (docs/clients.md "Pass-through"): the backend gets
 * the client's body with only `model` replaced and its protocol headers; the client gets the
 * vendor's answer and events unchanged; usage is read off them; failover still works before the
 * first byte, and a cut after it ends in Anthropic's `event: error`.
 */
let first: MockAnthropic;
let second: MockAnthropic;
let h: Harness;
const BETA = 'mid-conversation-system-2026-04-07,context-management-2025-06-27';
const VERSION = '2023-06-01';

beforeAll(async () => {
  first = await startMockAnthropic({ apiKey: 'sk-provider-secret-123', models: ['claude-a'], words: 12 });
  second = await startMockAnthropic({ apiKey: 'sk-provider-secret-123', models: ['claude-b'], words: 12 });
  const knobs = { timeout_first_token_s: 1, timeout_idle_s: 0.3, retry: { backoff_ms: 10 } };
  h = await startHarness({
    providers: [
      { id: 'claude', deadEndpoint: true, models: ['claude-a'], extra: { type: 'anthropic', endpoint: first.url } },
      { id: 'claude2', deadEndpoint: true, models: ['claude-b'], extra: { type: 'anthropic', endpoint: second.url } },
      { id: 'oai', models: ['gpt-x'], mock: { words: 12 } },
    ],
    rotations: [
      {
        id: 'two-claudes',
        config: {
          providers: [
            { provider_id: 'claude', model: 'claude-a', weight: 2 },
            { provider_id: 'claude2', model: 'claude-b', weight: 1 },
          ],
          ...knobs,
        },
      },
      {
        id: 'claude-then-openai',
        config: {
          providers: [
            { provider_id: 'claude', model: 'claude-a', weight: 2 },
            { provider_id: 'oai', model: 'gpt-x', weight: 1 },
          ],
          ...knobs,
        },
      },
    ],
  });
});
afterEach(() => {
  first.requests.length = 0;
  second.requests.length = 0;
});
afterAll(async () => {
  await h.close();
  await first.close();
  await second.close();
});

/** What Claude Code sends: fields aisbf does not translate, a system array with cache_control, thinking, a system turn. */
const claudeCodeBody = (model: string, stream: boolean): Record<string, unknown> => ({
  model,
  max_tokens: 200,
  stream,
  system: [{ type: 'text', text: 'You are a coding agent.', cache_control: { type: 'ephemeral' } }],
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'hello', cache_control: { type: 'ephemeral' } }] },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'The user greets.', signature: 'sig-abc' },
        { type: 'text', text: 'Hi.' },
      ],
    },
    { role: 'system', content: 'Reminder: be brief.' },
    { role: 'user', content: 'count' },
  ],
  thinking: { type: 'enabled', budget_tokens: 100 },
  context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] },
  output_config: { effort: 'high' },
  metadata: { user_id: 'user_abc' },
});

const send = (body: Record<string, unknown>): ReturnType<typeof post> =>
  post(`${h.v1}/messages?beta=true`, h.tokens.alice, JSON.stringify(body), {
    'anthropic-version': VERSION,
    'anthropic-beta': BETA,
  });

describe('Anthropic pass-through', () => {
  it('stream: the backend gets the body unchanged but model, with the betas; the events come back byte for byte', async () => {
    const body = claudeCodeBody('user-provider/claude/claude-a', true);
    const r = await send(body);
    expect(r.status).toBe(200);
    expect(first.requests).toHaveLength(1);
    const got = first.requests[0]!;
    expect(got.raw).toBe(JSON.stringify({ ...body, model: 'claude-a' }));
    expect(got.headers['anthropic-beta']).toBe(BETA);
    expect(got.headers['anthropic-version']).toBe(VERSION);
    expect(got.headers['x-api-key']).toBe('sk-provider-secret-123');
    expect(r.text).toBe(first.answers.at(-1));
    expect(r.headers.get('x-aisbf-provider')).toBe('claude');
    const usage = h.events.at(-1)!;
    expect(usage).toMatchObject({ status: 200, outcome: 'ok', completionTokens: 12, estimated: false });
    expect(usage.promptTokens).toBeGreaterThan(0);
  });

  it('whole answers pass through too, with their usage recorded', async () => {
    const body = claudeCodeBody('user-provider/claude/claude-a', false);
    const r = await send(body);
    expect(r.status).toBe(200);
    expect(first.requests[0]!.raw).toBe(JSON.stringify({ ...body, model: 'claude-a' }));
    expect(r.text).toBe(first.answers.at(-1));
    expect(h.events.at(-1)).toMatchObject({ status: 200, outcome: 'ok', completionTokens: 12, estimated: false });
  });

  it('the SDK reads a pass-through stream, and a translated one when the rotation fails over to OpenAI', async () => {
    const client = new Anthropic({ apiKey: h.tokens.alice, baseURL: h.url, maxRetries: 0 });
    const direct = await client.messages
      .stream({ model: 'user-provider/claude/claude-a', max_tokens: 50, messages: [{ role: 'user', content: 'x' }] })
      .finalMessage();
    expect(direct.content).toEqual([{ type: 'text', text: words(1, 12) }]);
    expect(direct.model).toBe('claude-a');
    const overloaded = { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' } as const;
    // A 5xx is retried once on the same entry (the retry table), then the next entry serves.
    first.enqueue(overloaded, overloaded);
    const failed = await client.messages
      .stream({ model: 'user-rotation/claude-then-openai', max_tokens: 50, messages: [{ role: 'user', content: 'x' }] })
      .finalMessage();
    expect(failed.content).toEqual([{ type: 'text', text: words(1, 12) }]);
    expect(h.events.at(-1)!.attempts.map((a) => [a.provider, a.outcome])).toEqual([
      ['claude', 'error'],
      ['claude', 'error'],
      ['oai', 'ok'],
    ]);
  });

  it('an Anthropic 529 before the first byte fails over to the next anthropic entry, still pass-through', async () => {
    const overloaded = { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' } as const;
    first.enqueue(overloaded, overloaded);
    const body = claudeCodeBody('user-rotation/two-claudes', true);
    const r = await send(body);
    expect(r.status).toBe(200);
    expect(second.requests[0]!.raw).toBe(JSON.stringify({ ...body, model: 'claude-b' }));
    expect(r.text).toBe(second.answers.at(-1));
    expect(r.headers.get('x-aisbf-failover')).toBe('true');
  });

  it('a cut after the first byte ends with an Anthropic error event (the SDK throws), recorded as interrupted', async () => {
    first.enqueue({ kind: 'cut', afterDeltas: 3 });
    const r = await send(claudeCodeBody('user-provider/claude/claude-a', true));
    expect(r.status).toBe(200);
    expect(r.text).toContain('event: content_block_delta');
    expect(r.text.endsWith('\n\n')).toBe(true);
    const last = r.text.trimEnd().split('\n\n').at(-1)!;
    expect(last.split('\n')[0]).toBe('event: error');
    expect(JSON.parse(last.split('\n')[1]!.slice(6))).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(h.events.at(-1)).toMatchObject({ outcome: 'interrupted' });
    first.enqueue({ kind: 'error-event', afterDeltas: 2 });
    const client = new Anthropic({ apiKey: h.tokens.alice, baseURL: h.url, maxRetries: 0 });
    const thrown = await client.messages
      .stream({ model: 'user-provider/claude/claude-a', max_tokens: 50, messages: [{ role: 'user', content: 'x' }] })
      .finalMessage()
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(Anthropic.APIError);
    expect(String(thrown)).toContain('Overloaded');
  });
});
