import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockGemini, type MockGemini } from '@aisbf/testkit';
import { startHarness, words, type Harness } from './test-harness';

/**
 * A `google` provider behind aisbf, reached with the official openai SDK (docs/providers.md): the
 * fake Gemini API is as strict as the real one (mock-gemini-validate.ts), so every request that
 * reaches it here is one Gemini would accept.
 */
const knobs = { timeout_first_token_s: 1, timeout_idle_s: 0.3, retry: { backoff_ms: 10 } };

let fake: MockGemini;
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
  fake = await startMockGemini({
    apiKey: 'sk-provider-secret-123',
    models: ['gemini-a', 'gemini-b', 'gemini-c'],
    words: 30,
    cachedTokens: 2,
    reply: (body) => {
      const last = JSON.stringify((body['contents'] as unknown[]).at(-1));
      if (last.includes('functionResponse')) return [{ text: `It is ${/"output":"([^"]*)"/.exec(last)?.[1]}.` }];
      if (body['tools'] !== undefined) return [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }];
      return null;
    },
  });
  const gemini = { type: 'google' as const, endpoint: fake.url };
  h = await startHarness({
    providers: [
      {
        id: 'gem',
        deadEndpoint: true,
        models: ['gemini-a', { name: 'gemini-b', prefill: true }, 'gemini-c', 'text-embedding-test'],
        extra: gemini,
      },
      { id: 'oai', models: [{ name: 'gpt-x', prefill: true }], mock: { words: 30 } },
    ],
    rotations: [
      {
        id: 'mixed',
        config: {
          providers: [
            { provider_id: 'gem', model: 'gemini-a', weight: 2 },
            { provider_id: 'oai', model: 'gpt-x', weight: 1 },
          ],
          ...knobs,
        },
      },
      {
        id: 'quota',
        config: {
          providers: [
            { provider_id: 'gem', model: 'gemini-c', weight: 2 },
            { provider_id: 'oai', model: 'gpt-x', weight: 1 },
          ],
          ...knobs,
        },
      },
      {
        id: 'rescue',
        config: {
          providers: [
            { provider_id: 'gem', model: 'gemini-a', weight: 2 },
            { provider_id: 'oai', model: 'gpt-x', weight: 1 },
          ],
          midstream: 'continue',
          ...knobs,
        },
      },
      {
        id: 'rescue-by-gemini',
        config: {
          providers: [
            { provider_id: 'oai', model: 'gpt-x', weight: 2 },
            { provider_id: 'gem', model: 'gemini-b', weight: 1 },
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

describe('google backend through the openai SDK', () => {
  it('answers a system + multi-turn chat with usage mapped (cached tokens included)', async () => {
    const r = await client.chat.completions.create({
      model: 'user-provider/gem/gemini-a',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'one' },
        { role: 'assistant', content: 'two' },
        { role: 'user', content: 'three four' },
      ],
      temperature: 0.3,
    });
    expect(r.choices[0]!.message.content).toBe(words(1, 30));
    expect(r.choices[0]!.finish_reason).toBe('stop');
    expect(r.usage).toMatchObject({
      prompt_tokens: 6,
      completion_tokens: 30,
      prompt_tokens_details: { cached_tokens: 2 },
    });
    expect(last().path).toBe('/v1beta/models/gemini-a:generateContent');
    expect(last().headers['x-goog-api-key']).toBe('sk-provider-secret-123');
    expect(last().headers['authorization']).toBeUndefined();
    expect(lastBody()).toEqual({
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'one' }] },
        { role: 'model', parts: [{ text: 'two' }] },
        { role: 'user', parts: [{ text: 'three four' }] },
      ],
      generationConfig: { temperature: 0.3 },
    });
    expect(h.events.at(-1)).toMatchObject({
      provider: 'gem',
      model: 'gemini-a',
      promptTokens: 6,
      completionTokens: 30,
    });
  });

  it('streams over streamGenerateContent, with usage when asked for', async () => {
    const stream = await client.chat.completions.create({
      model: 'user-provider/gem/gemini-a',
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
    expect(usage).toMatchObject({ prompt_tokens: 1, completion_tokens: 10 });
    expect(last().path).toBe('/v1beta/models/gemini-a:streamGenerateContent');
    expect(last().query.get('alt')).toBe('sse');
    expect(lastBody()['generationConfig']).toEqual({ maxOutputTokens: 10 });
  });

  it('runs a tool round trip: a call with parsed arguments, deltas that join to JSON, the result as a functionResponse', async () => {
    const ask = { model: 'user-provider/gem/gemini-a', tools: [weatherTool], tool_choice: 'required' as const };
    const first = await client.chat.completions.create({ ...ask, messages: [{ role: 'user', content: 'weather?' }] });
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
    expect(lastBody()).toMatchObject({
      tools: [
        { functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: weatherTool.function.parameters }] },
      ],
      toolConfig: { functionCallingConfig: { mode: 'ANY' } },
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
    expect(id).toMatch(/^call_/);
    expect(JSON.parse(args)).toEqual({ city: 'Paris' });

    const second = await client.chat.completions.create({
      ...ask,
      tool_choice: 'auto',
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: 'sunny' },
      ],
    });
    expect(second.choices[0]!.message.content).toBe('It is sunny.');
    expect((lastBody()['contents'] as unknown[]).slice(1)).toEqual([
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: 'sunny' } } }] },
    ]);
  });

  it("returns Gemini's INVALID_ARGUMENT as the client's 400, and a request Gemini cannot take as a 400 never sent", async () => {
    fake.enqueue({ kind: 'error', code: 400, status: 'INVALID_ARGUMENT', message: 'Invalid value at contents' });
    const e = await client.chat.completions
      .create({ model: 'user-provider/gem/gemini-a', messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(e).toBeInstanceOf(OpenAI.BadRequestError);
    expect((e as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({
      message: 'Invalid value at contents',
      type: 'invalid_request_error',
    });
    const sent = fake.requests.length;
    const only = await client.chat.completions
      .create({ model: 'user-provider/gem/gemini-a', messages: [{ role: 'system', content: 'alone' }] })
      .catch((error: unknown) => error);
    expect(only).toBeInstanceOf(OpenAI.BadRequestError);
    expect((only as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('messages');
    expect(fake.requests.length).toBe(sent);
  });

  it('fails over: UNAVAILABLE is retried then served by the next entry (another type), RESOURCE_EXHAUSTED moves on at once', async () => {
    const served = async (route: string) => {
      const r = await client.chat.completions
        .create({ model: route, messages: [{ role: 'user', content: 'hi' }] })
        .withResponse();
      expect(r.data.choices[0]!.message.content).toBe(words(1, 30));
      expect(r.response.headers.get('x-aisbf-provider')).toBe('oai');
      return h.events.at(-1)!.attempts.map((a) => `${a.provider}:${a.status}`);
    };
    fake.enqueue(
      { kind: 'error', code: 503, status: 'UNAVAILABLE', message: 'overloaded' },
      { kind: 'error', code: 503, status: 'UNAVAILABLE', message: 'overloaded' },
    );
    expect(await served('user-rotation/mixed')).toEqual(['gem:503', 'gem:503', 'oai:200']);
    // A 429 without Retry-After cools the entry down at once (its own model, so later tests are unaffected).
    fake.enqueue({ kind: 'error', code: 429, status: 'RESOURCE_EXHAUSTED', message: 'quota' });
    expect(await served('user-rotation/quota')).toEqual(['gem:429', 'oai:200']);
  });

  it('continues a stream cut on a google entry on an openai entry, and the reverse', async () => {
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
    fake.enqueue({ kind: 'cut', afterEvents: 12 });
    expect(await read('user-rotation/rescue')).toBe(words(1, 30));
    expect(h.mocks['oai']!.requests.at(-1)!.body).toMatchObject({
      messages: [{}, { role: 'assistant', content: words(1, 12) }],
    });

    h.mocks['oai']!.enqueue({ kind: 'cut', afterChunks: 8 });
    expect(await read('user-rotation/rescue-by-gemini')).toBe(words(1, 30));
    expect((lastBody()['contents'] as unknown[]).at(-1)).toEqual({ role: 'model', parts: [{ text: words(1, 8) }] });
  });

  it('embeds through embedContent and batchEmbedContents (the SDK asks for base64)', async () => {
    const one = await client.embeddings.create({ model: 'user-provider/gem/text-embedding-test', input: 'abc' });
    expect(one.data[0]!.embedding).toEqual([0.03, 0.04, 0.05, 0.06].map((v) => Math.fround(v)));
    expect(last().path).toBe('/v1beta/models/text-embedding-test:embedContent');
    const many = await client.embeddings.create({
      model: 'user-provider/gem/text-embedding-test',
      input: ['a', 'bb'],
      dimensions: 2,
      encoding_format: 'float',
    });
    expect(many.data.map((d) => d.embedding)).toEqual([
      [0.01, 0.02],
      [0.02, 0.03],
    ]);
    expect(lastBody()).toEqual({
      requests: [
        { model: 'models/text-embedding-test', content: { parts: [{ text: 'a' }] }, outputDimensionality: 2 },
        { model: 'models/text-embedding-test', content: { parts: [{ text: 'bb' }] }, outputDimensionality: 2 },
      ],
    });
    expect(many.usage.prompt_tokens).toBe(2);
  });
});
