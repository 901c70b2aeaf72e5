import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockAnthropic, type MockAnthropic } from '@aisbf/testkit';
import { startHarness, words, type Harness } from './test-harness';

/** `POST /v1/messages` (docs/clients.md) with the official Anthropic SDK as the client. */
let fake: MockAnthropic;
let h: Harness;
let client: Anthropic;

beforeAll(async () => {
  fake = await startMockAnthropic({
    apiKey: 'sk-provider-secret-123',
    models: ['claude-a'],
    words: 12,
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
      { id: 'oai', models: ['gpt-x'], mock: { words: 12 } },
      { id: 'claude', deadEndpoint: true, models: ['claude-a'], extra: { type: 'anthropic', endpoint: fake.url } },
    ],
  });
  client = new Anthropic({ apiKey: h.tokens.alice, baseURL: h.url, maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
  await fake.close();
});

const tools = [
  { name: 'get_weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } },
];

describe('Anthropic Messages clients', () => {
  it('create: an OpenAI-compatible backend answers as an Anthropic message, system prompt carried', async () => {
    const m = await client.messages.create({
      model: 'user-provider/oai/gpt-x',
      max_tokens: 100,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(m.type).toBe('message');
    expect(m.content).toEqual([{ type: 'text', text: words(1, 12) }]);
    expect(m.stop_reason).toBe('end_turn');
    expect(m.usage.output_tokens).toBe(12);
    expect(h.mocks['oai']!.requests.at(-1)!.body).toMatchObject({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
      ],
      max_tokens: 100,
    });
  });

  it('stream: the SDK assembles the message from the events (query string ignored, x-api-key auth)', async () => {
    const keyed = new Anthropic({
      apiKey: null,
      authToken: null,
      baseURL: `${h.url}/api/u/alice`,
      maxRetries: 0,
      defaultHeaders: { 'x-api-key': h.tokens.alice },
      defaultQuery: { beta: 'true' },
    });
    const stream = keyed.messages.stream({
      model: 'user-provider/oai/gpt-x',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'go' }],
    });
    const deltas: string[] = [];
    stream.on('text', (t) => deltas.push(t));
    const m = await stream.finalMessage();
    expect(deltas.join('')).toBe(words(1, 12));
    expect(m.content).toEqual([{ type: 'text', text: words(1, 12) }]);
    expect(m.usage.output_tokens).toBe(12);
  });

  it('tools: a round trip through an anthropic backend (pass-through), streamed', async () => {
    const first = await client.messages
      .stream({
        model: 'user-provider/claude/claude-a',
        max_tokens: 100,
        tools,
        messages: [{ role: 'user', content: 'weather?' }],
      })
      .finalMessage();
    const use = first.content.find((b) => b.type === 'tool_use');
    expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
    expect(first.stop_reason).toBe('tool_use');
    if (use?.type !== 'tool_use') throw new Error('no tool_use');
    const second = await client.messages.create({
      model: 'user-provider/claude/claude-a',
      max_tokens: 100,
      tools,
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny' }] },
      ],
    });
    expect(second.content).toEqual([{ type: 'text', text: 'It is sunny.' }]);
  });

  it('errors come back in Anthropic shape: an unknown route, a bad body, a bad token', async () => {
    const notFound = await client.messages
      .create({ model: 'nope', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(Anthropic.NotFoundError);
    expect((notFound as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error' },
    });
    const bad = await client.messages
      .create({ model: 'user-provider/oai/gpt-x', messages: [] } as never)
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    expect((bad as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error' },
    });
    const anon = new Anthropic({ apiKey: 'aisbf_wrong', baseURL: h.url, maxRetries: 0 });
    await expect(
      anon.messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });
});
