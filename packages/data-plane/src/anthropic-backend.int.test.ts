import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockAnthropic, type MockAnthropic } from '@aisbf/testkit';
import { startHarness, words, type Harness } from './test-harness';

/**
 * An `anthropic` provider behind aisbf, reached with the official openai SDK (docs/providers.md):
 * the fake Messages API is as strict as the real one, so every request here is one Anthropic
 * would accept.
 */
const knobs = { timeout_first_token_s: 1, timeout_idle_s: 0.3, retry: { backoff_ms: 10 } };

let fake: MockAnthropic;
let h: Harness;
let client: OpenAI;

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

beforeAll(async () => {
  fake = await startMockAnthropic({
    apiKey: 'sk-provider-secret-123',
    models: ['claude-a', 'claude-b'],
    words: 30,
    cacheReadTokens: 7,
    reply: (body) => {
      const last = JSON.stringify((body['messages'] as unknown[]).at(-1));
      if (last.includes('tool_result'))
        return [{ type: 'text', text: `It is ${/"content":"([^"]*)"/.exec(last)?.[1]}.` }];
      if (body['tools'] !== undefined) return [{ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } }];
      return null;
    },
  });
  h = await startHarness({
    providers: [
      { id: 'claude', deadEndpoint: true, models: ['claude-a', { name: 'claude-b', prefill: true }] },
      { id: 'oai', models: [{ name: 'gpt-x', prefill: true }], mock: { words: 30 } },
    ].map((p) => (p.id === 'claude' ? { ...p, extra: { type: 'anthropic' as const, endpoint: fake.url } } : p)),
    rotations: [
      {
        id: 'mixed',
        config: {
          providers: [
            { provider_id: 'claude', model: 'claude-a', weight: 2 },
            { provider_id: 'oai', model: 'gpt-x', weight: 1 },
          ],
          ...knobs,
        },
      },
      {
        id: 'rescue',
        config: {
          providers: [
            { provider_id: 'claude', model: 'claude-a', weight: 2 },
            { provider_id: 'oai', model: 'gpt-x', weight: 1 },
          ],
          midstream: 'continue',
          ...knobs,
        },
      },
      {
        id: 'rescue-by-claude',
        config: {
          providers: [
            { provider_id: 'oai', model: 'gpt-x', weight: 2 },
            { provider_id: 'claude', model: 'claude-b', weight: 1 },
          ],
          midstream: 'continue',
          ...knobs,
        },
      },
    ],
  });
  client = new OpenAI({ baseURL: h.v1, apiKey: h.tokens.alice, maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
  await fake.close();
});

const lastBody = (): Record<string, unknown> => fake.requests.at(-1)!.body as Record<string, unknown>;

describe('anthropic backend through the openai SDK', () => {
  it('answers a system + multi-turn chat, with usage mapped (cached tokens included)', async () => {
    const r = await client.chat.completions.create({
      model: 'user-provider/claude/claude-a',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'one' },
        { role: 'assistant', content: 'two' },
        { role: 'user', content: 'three four' },
      ],
    });
    expect(r.choices[0]!.message.content).toBe(words(1, 30));
    expect(r.choices[0]!.finish_reason).toBe('stop');
    expect(r.usage).toMatchObject({
      prompt_tokens: 6 + 7,
      completion_tokens: 30,
      prompt_tokens_details: { cached_tokens: 7 },
    });
    expect(lastBody()).toMatchObject({
      model: 'claude-a',
      max_tokens: 4096,
      system: 'Be brief.',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'one' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'two' }] },
        { role: 'user', content: [{ type: 'text', text: 'three four' }] },
      ],
    });
    expect(fake.requests.at(-1)!.headers['x-api-key']).toBe('sk-provider-secret-123');
    expect(fake.requests.at(-1)!.headers['authorization']).toBeUndefined();
    const usage = h.events.at(-1)!;
    expect(usage).toMatchObject({
      provider: 'claude',
      model: 'claude-a',
      promptTokens: 13,
      completionTokens: 30,
      estimated: false,
    });
  });

  it('streams, with usage when asked for', async () => {
    const stream = await client.chat.completions.create({
      model: 'user-provider/claude/claude-a',
      messages: [{ role: 'user', content: 'go' }],
      max_tokens: 10,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(words(1, 10));
    expect(finish).toBe('length');
    expect(usage).toMatchObject({ prompt_tokens: 1 + 7, completion_tokens: 10 });
    expect(lastBody()).toMatchObject({ max_tokens: 10, stream: true });
  });

  it('runs a tool round trip: a tool call, argument deltas that join to JSON, the result as tool_result', async () => {
    const ask = { model: 'user-provider/claude/claude-a', tools: [weatherTool], tool_choice: 'auto' as const };
    const first = await client.chat.completions.create({ ...ask, messages: [{ role: 'user', content: 'weather?' }] });
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
    expect(lastBody()).toMatchObject({
      tools: [{ name: 'get_weather', description: 'Weather in a city', input_schema: weatherTool.function.parameters }],
      tool_choice: { type: 'auto' },
    });

    const stream = await client.chat.completions.create({
      ...ask,
      messages: [{ role: 'user', content: 'weather?' }],
      stream: true,
    });
    let args = '';
    let id = '';
    for await (const chunk of stream)
      for (const d of chunk.choices[0]?.delta.tool_calls ?? []) {
        id ||= d.id ?? '';
        args += d.function?.arguments ?? '';
      }
    expect(id).toMatch(/^toolu_/);
    expect(JSON.parse(args)).toEqual({ city: 'Paris' });

    const second = await client.chat.completions.create({
      ...ask,
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: 'sunny' },
      ],
    });
    expect(second.choices[0]!.message.content).toBe('It is sunny.');
    expect((lastBody()['messages'] as unknown[]).slice(1)).toEqual([
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: call.id, name: 'get_weather', input: { city: 'Paris' } }],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'sunny' }] },
    ]);
  });

  it("returns Anthropic's 400 in OpenAI shape, and a request it cannot express as the client's 400", async () => {
    fake.enqueue({ kind: 'error', status: 400, type: 'invalid_request_error', message: 'messages: bad thing' });
    const e = await client.chat.completions
      .create({ model: 'user-provider/claude/claude-a', messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(e).toBeInstanceOf(OpenAI.BadRequestError);
    expect((e as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({
      message: 'messages: bad thing',
      type: 'invalid_request_error',
    });
    const sent = fake.requests.length;
    const n = await client.chat.completions
      .create({ model: 'user-provider/claude/claude-a', n: 2, messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(n).toBeInstanceOf(OpenAI.BadRequestError);
    expect((n as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('n');
    expect(fake.requests.length).toBe(sent);
  });

  it('fails over: an Anthropic 529 is served by the next entry (another type) with no client error', async () => {
    fake.enqueue(
      { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' },
      { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' },
    );
    const r = await client.chat.completions
      .create({ model: 'user-rotation/mixed', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(r.data.choices[0]!.message.content).toBe(words(1, 30));
    expect(r.response.headers.get('x-aisbf-provider')).toBe('oai');
    expect(h.events.at(-1)!.attempts.map((a) => `${a.provider}:${a.status}`)).toEqual([
      'claude:503',
      'claude:503',
      'oai:200',
    ]);
  });

  it('continues a stream cut on an anthropic entry on an openai entry, and the reverse', async () => {
    const read = async (route: string): Promise<string> => {
      const s = await client.chat.completions.create({
        model: route,
        messages: [{ role: 'user', content: 'count' }],
        stream: true,
      });
      let text = '';
      for await (const chunk of s) text += chunk.choices[0]?.delta.content ?? '';
      return text;
    };
    fake.enqueue({ kind: 'cut', afterDeltas: 12 });
    expect(await read('user-rotation/rescue')).toBe(words(1, 30));
    expect(h.mocks['oai']!.requests.at(-1)!.body).toMatchObject({
      messages: [{}, { role: 'assistant', content: words(1, 12) }],
    });

    h.mocks['oai']!.enqueue({ kind: 'cut', afterChunks: 8 });
    expect(await read('user-rotation/rescue-by-claude')).toBe(words(1, 30));
    expect((lastBody()['messages'] as unknown[]).at(-1)).toEqual({
      role: 'assistant',
      content: [{ type: 'text', text: words(1, 8) }],
    });
  });
});
