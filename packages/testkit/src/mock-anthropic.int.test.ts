import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockAnthropic, type MockAnthropic } from './mock-anthropic';
import { MID_CONVERSATION_SYSTEM_BETA } from './mock-anthropic-validate';

// The fake is checked with the vendor's own SDK as the client: what the SDK sends, the fake
// accepts, and what the fake answers, the SDK reads (create, stream, tools, count_tokens, errors).
let fake: MockAnthropic;
let client: Anthropic;

beforeAll(async () => {
  fake = await startMockAnthropic({
    apiKey: 'sk-ant-fake',
    models: ['claude-test-1'],
    words: 12,
    cacheReadTokens: 3,
    reply: (body) => {
      const messages = body['messages'] as Array<{ content: unknown }>;
      const last = JSON.stringify(messages.at(-1)?.content ?? '');
      if (last.includes('tool_result'))
        return [{ type: 'text', text: `The tool said: ${/sunny|rain/.exec(last)?.[0] ?? '?'}` }];
      if (body['tools'] !== undefined) return [{ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } }];
      return null;
    },
  });
  client = new Anthropic({ apiKey: 'sk-ant-fake', baseURL: fake.url, maxRetries: 0 });
});
afterAll(() => fake.close());

describe('the fake Anthropic API, through @anthropic-ai/sdk', () => {
  it('creates a message', async () => {
    const m = await client.messages.create({
      model: 'claude-test-1',
      max_tokens: 100,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'say something' }],
    });
    expect(m.content).toEqual([{ type: 'text', text: 'w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12' }]);
    expect(m.stop_reason).toBe('end_turn');
    expect(m.usage).toMatchObject({ input_tokens: 4, output_tokens: 12, cache_read_input_tokens: 3 });
  });

  it('streams a message the SDK assembles', async () => {
    const stream = client.messages.stream({
      model: 'claude-test-1',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'go' }],
    });
    const deltas: string[] = [];
    stream.on('text', (t) => deltas.push(t));
    const m = await stream.finalMessage();
    expect(deltas).toHaveLength(5);
    expect(m.content).toEqual([{ type: 'text', text: 'w1 w2 w3 w4 w5' }]);
    expect(m.stop_reason).toBe('max_tokens');
    expect(m.usage.output_tokens).toBe(5);
  });

  it('runs a tool round trip, streamed tool input included', async () => {
    const tools = [
      { name: 'get_weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } },
    ];
    const first = await client.messages
      .stream({ model: 'claude-test-1', max_tokens: 100, tools, messages: [{ role: 'user', content: 'weather?' }] })
      .finalMessage();
    const use = first.content[0];
    expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
    expect(first.stop_reason).toBe('tool_use');
    if (use?.type !== 'tool_use') throw new Error('no tool_use');
    const second = await client.messages.create({
      model: 'claude-test-1',
      max_tokens: 100,
      tools,
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny' }] },
      ],
    });
    expect(second.content).toEqual([{ type: 'text', text: 'The tool said: sunny' }]);
  });

  it('counts tokens and lists models', async () => {
    const count = await client.messages.countTokens({
      model: 'claude-test-1',
      messages: [{ role: 'user', content: 'one two three' }],
    });
    expect(count.input_tokens).toBe(3);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['claude-test-1']);
  });

  it('refuses what the real API refuses, with errors the SDK raises by class', async () => {
    const refused = async (body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<string> => {
      try {
        await client.messages.create(body as never, { headers });
      } catch (e) {
        expect(e).toBeInstanceOf(Anthropic.BadRequestError);
        return (e as InstanceType<typeof Anthropic.BadRequestError>).message;
      }
      throw new Error('accepted');
    };
    expect(await refused({ model: 'claude-test-1', messages: [{ role: 'user', content: 'x' }] })).toMatch(
      /max_tokens: Field required/,
    );
    const system = {
      model: 'claude-test-1',
      max_tokens: 5,
      messages: [
        { role: 'user', content: 'x' },
        { role: 'system', content: 'y' },
      ],
    };
    // API version 2023-06-01 takes system turns only with the beta; 2026-10-21 (the SDK's) takes them.
    const v1 = { 'anthropic-version': '2023-06-01' };
    expect(await refused(system, v1)).toMatch(/role 'system' is not supported/);
    await expect(
      client.messages.create(system as never, { headers: { ...v1, 'anthropic-beta': MID_CONVERSATION_SYSTEM_BETA } }),
    ).resolves.toMatchObject({ type: 'message' });
    await expect(client.messages.create(system as never)).resolves.toMatchObject({
      type: 'message',
    });
    expect(
      await refused({
        model: 'claude-test-1',
        max_tokens: 5,
        messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_x', content: 'r' }] }],
      }),
    ).toMatch(/unexpected `tool_use_id`/);
    expect(
      await refused({
        model: 'claude-test-1',
        max_tokens: 5,
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }] },
          { role: 'user', content: 'no result' },
        ],
      }),
    ).toMatch(/without `tool_result` blocks immediately after/);
    expect(
      await refused({
        model: 'claude-test-1',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'x' }],
        frequency_penalty: 1,
      }),
    ).toMatch(/Extra inputs are not permitted/);
    const wrongKey = new Anthropic({ apiKey: 'nope', baseURL: fake.url, maxRetries: 0 });
    await expect(wrongKey.models.list()).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it('answers 529 overloaded_error as the SDK expects', async () => {
    fake.enqueue({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' });
    const e = await client.messages
      .create({ model: 'claude-test-1', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(e).toBeInstanceOf(Anthropic.APIError);
    expect((e as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((e as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ error: { type: 'overloaded_error' } });
  });
});
