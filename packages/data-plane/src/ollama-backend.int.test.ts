import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockOllama, type MockOllama } from '@aisbf/testkit';
import { startHarness, words, type Harness } from './test-harness';

/**
 * An `ollama` provider behind aisbf, reached with the official openai SDK (docs/providers.md):
 * the fake speaks Ollama's native API (NDJSON streams, Go-decoder refusals), so every request that
 * reaches it here is one Ollama would accept.
 */
const knobs = { timeout_first_token_s: 1, timeout_idle_s: 0.3, retry: { backoff_ms: 10 } };

let fake: MockOllama;
let h: Harness;
let client: OpenAI;

const addTool = {
  type: 'function' as const,
  function: {
    name: 'add',
    parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } },
  },
};

beforeAll(async () => {
  fake = await startMockOllama({
    models: ['llama-a', 'llama-b'],
    words: 30,
    reply: (body) => {
      const lastMessage = (body['messages'] as Array<Record<string, unknown>>).at(-1);
      if (lastMessage?.['role'] === 'tool') return { content: `The sum is ${String(lastMessage['content'])}.` };
      if (body['tools'] !== undefined)
        return { content: '', tool_calls: [{ function: { name: 'add', arguments: { a: 1, b: 2 } } }] };
      return null;
    },
  });
  // Ollama needs no key: the provider has none.
  const ollama = { type: 'ollama' as const, endpoint: fake.url, apiKeyEnc: null };
  h = await startHarness({
    providers: [
      {
        id: 'llama',
        deadEndpoint: true,
        models: ['llama-a', { name: 'llama-b', prefill: true }, 'embed-test'],
        extra: ollama,
      },
      { id: 'oai', models: [{ name: 'gpt-x', prefill: true }], mock: { words: 30 } },
    ],
    rotations: [
      {
        id: 'mixed',
        config: {
          providers: [
            { provider_id: 'llama', model: 'llama-a', weight: 2 },
            { provider_id: 'oai', model: 'gpt-x', weight: 1 },
          ],
          ...knobs,
        },
      },
      {
        id: 'rescue',
        config: {
          providers: [
            { provider_id: 'llama', model: 'llama-a', weight: 2 },
            { provider_id: 'oai', model: 'gpt-x', weight: 1 },
          ],
          midstream: 'continue',
          ...knobs,
        },
      },
      {
        id: 'rescue-by-ollama',
        config: {
          providers: [
            { provider_id: 'oai', model: 'gpt-x', weight: 2 },
            { provider_id: 'llama', model: 'llama-b', weight: 1 },
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

const last = () => fake.requests.at(-1)!;
const lastBody = (): Record<string, unknown> => last().body as Record<string, unknown>;

describe('ollama backend through the openai SDK', () => {
  it('answers a system + multi-turn chat with usage mapped, sending stream: false and options', async () => {
    const r = await client.chat.completions.create({
      model: 'user-provider/llama/llama-a',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'one' },
        { role: 'assistant', content: 'two' },
        { role: 'user', content: 'three four' },
      ],
      temperature: 0.1,
      seed: 4,
    });
    expect(r.choices[0]!.message.content).toBe(words(1, 30));
    expect(r.choices[0]!.finish_reason).toBe('stop');
    expect(r.usage).toMatchObject({ prompt_tokens: 6, completion_tokens: 30, total_tokens: 36 });
    expect(last().path).toBe('/api/chat');
    expect(last().headers['authorization']).toBeUndefined();
    expect(lastBody()).toEqual({
      model: 'llama-a',
      stream: false,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'one' },
        { role: 'assistant', content: 'two' },
        { role: 'user', content: 'three four' },
      ],
      options: { temperature: 0.1, seed: 4 },
    });
    expect(h.events.at(-1)).toMatchObject({
      provider: 'llama',
      model: 'llama-a',
      promptTokens: 6,
      completionTokens: 30,
    });
  });

  it('streams NDJSON as SSE chunks, with usage when asked for', async () => {
    const stream = await client.chat.completions
      .create({
        model: 'user-provider/llama/llama-a',
        messages: [{ role: 'user', content: 'go' }],
        max_tokens: 10,
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream.data) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(words(1, 10));
    expect(finish).toBe('length');
    expect(usage).toMatchObject({ prompt_tokens: 1, completion_tokens: 10 });
    expect(lastBody()).toMatchObject({ stream: true, options: { num_predict: 10 } });
  });

  it('runs a tool round trip: a call with parsed arguments, deltas that join to JSON, the result as a tool message', async () => {
    const ask = { model: 'user-provider/llama/llama-a', tools: [addTool] };
    const first = await client.chat.completions.create({ ...ask, messages: [{ role: 'user', content: 'add' }] });
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ a: 1, b: 2 });
    expect(lastBody()['tools']).toEqual([addTool]);

    const stream = await client.chat.completions.create({
      ...ask,
      messages: [{ role: 'user', content: 'add' }],
      stream: true,
    });
    let args = '';
    let id = '';
    for await (const chunk of stream)
      for (const d of chunk.choices[0]?.delta.tool_calls ?? []) {
        id ||= d.id ?? '';
        args += d.function?.arguments ?? '';
      }
    expect(id).toMatch(/^call_/);
    expect(JSON.parse(args)).toEqual({ a: 1, b: 2 });

    const second = await client.chat.completions.create({
      ...ask,
      messages: [
        { role: 'user', content: 'add' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: '3' },
      ],
    });
    expect(second.choices[0]!.message.content).toBe('The sum is 3.');
    expect((lastBody()['messages'] as unknown[]).slice(1)).toEqual([
      { role: 'assistant', content: '', tool_calls: [{ function: { name: 'add', arguments: { a: 1, b: 2 } } }] },
      { role: 'tool', content: '3', tool_name: 'add' },
    ]);
  });

  it("maps Ollama's errors: a 400 is the client's, an image URL is refused before sending, a 5xx fails over", async () => {
    fake.enqueue({ kind: 'error', status: 400, error: 'invalid options' });
    const e = await client.chat.completions
      .create({ model: 'user-provider/llama/llama-a', messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(e).toBeInstanceOf(OpenAI.BadRequestError);
    expect((e as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ message: 'invalid options' });
    const sent = fake.requests.length;
    const image = await client.chat.completions
      .create({
        model: 'user-provider/llama/llama-a',
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }],
      })
      .catch((error: unknown) => error);
    expect(image).toBeInstanceOf(OpenAI.BadRequestError);
    expect((image as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('messages[0].content[0].image_url.url');
    expect(fake.requests.length).toBe(sent);
    fake.enqueue(
      { kind: 'error', status: 503, error: 'server busy' },
      { kind: 'error', status: 503, error: 'server busy' },
    );
    const r = await client.chat.completions
      .create({ model: 'user-rotation/mixed', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(r.response.headers.get('x-aisbf-provider')).toBe('oai');
    expect(h.events.at(-1)!.attempts.map((a) => `${a.provider}:${a.status}`)).toEqual([
      'llama:503',
      'llama:503',
      'oai:200',
    ]);
  });

  it('continues a stream cut on an ollama entry on an openai entry, and the reverse', async () => {
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
    fake.enqueue({ kind: 'cut', afterLines: 12 });
    expect(await read('user-rotation/rescue')).toBe(words(1, 30));
    expect(h.mocks['oai']!.requests.at(-1)!.body).toMatchObject({
      messages: [{}, { role: 'assistant', content: words(1, 12) }],
    });

    h.mocks['oai']!.enqueue({ kind: 'cut', afterChunks: 8 });
    expect(await read('user-rotation/rescue-by-ollama')).toBe(words(1, 30));
    expect((lastBody()['messages'] as unknown[]).at(-1)).toEqual({ role: 'assistant', content: words(1, 8) });
  });

  it('embeds through /api/embed, usage from prompt_eval_count', async () => {
    const r = await client.embeddings.create({
      model: 'user-provider/llama/embed-test',
      input: ['a', 'bb'],
      encoding_format: 'float',
    });
    expect(r.data.map((d) => d.embedding)).toEqual([
      [0.01, 0.02, 0.03, 0.04],
      [0.02, 0.03, 0.04, 0.05],
    ]);
    expect(r.usage.prompt_tokens).toBe(2);
    expect(last()).toMatchObject({ path: '/api/embed', body: { model: 'embed-test', input: ['a', 'bb'] } });
  });
});
