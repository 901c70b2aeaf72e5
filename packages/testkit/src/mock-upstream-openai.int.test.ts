import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from './mock-upstream';

// The official SDK, unchanged, is the client the data plane must satisfy; the mock must satisfy it too.
let mock: MockUpstream;
let client: OpenAI;
beforeAll(async () => {
  mock = await startMockUpstream({ models: ['m1', 'qwen2.5-coder:32b'], words: 60 });
  client = new OpenAI({ baseURL: mock.url, apiKey: 'sk-test', maxRetries: 0 });
});
afterAll(() => mock.close());

const WORDS = Array.from({ length: 60 }, (_, i) => `w${i + 1}`).join(' ');

it('answers the SDK non-stream with the whole text and usage', async () => {
  const answer = await client.chat.completions.create({
    model: 'qwen2.5-coder:32b',
    messages: [{ role: 'user', content: 'hi' }],
  });
  expect(answer.choices[0]?.message.content).toBe(WORDS);
  expect(answer.model).toBe('qwen2.5-coder:32b');
  expect(answer.usage?.completion_tokens).toBe(60);
  expect(mock.requests.at(-1)?.headers['authorization']).toBe('Bearer sk-test');
});

it('streams to the SDK chunk by chunk with usage', async () => {
  const stream = await client.chat.completions.create({
    model: 'm1',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let chunks = 0;
  let completionTokens = 0;
  for await (const chunk of stream) {
    const piece = chunk.choices[0]?.delta.content;
    if (piece) {
      text += piece;
      chunks += 1;
    }
    if (chunk.usage) completionTokens = chunk.usage.completion_tokens;
  }
  expect(text).toBe(WORDS);
  expect(chunks).toBe(60);
  expect(completionTokens).toBe(60);
});

it('lists models and embeds through the SDK (base64 embeddings decoded)', async () => {
  const models = await client.models.list();
  expect(models.data.map((m) => m.id)).toEqual(['m1', 'qwen2.5-coder:32b']);
  const emb = await client.embeddings.create({ model: 'm1', input: 'hello' });
  expect(emb.data[0]?.embedding).toHaveLength(8);
  expect(emb.data[0]?.embedding.every((v) => Number.isFinite(v) && Math.abs(v) <= 1)).toBe(true);
});

it('surfaces mock errors as SDK errors with status and code', async () => {
  mock.enqueue({ kind: 'rate-limit', retryAfterS: 1 }, { kind: 'context-length' });
  await expect(
    client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'hi' }] }),
  ).rejects.toMatchObject({ status: 429 });
  await expect(
    client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'hi' }] }),
  ).rejects.toMatchObject({ status: 400, code: 'context_length_exceeded' });
});

it('makes the SDK stream fail when the mock cuts it', async () => {
  mock.enqueue({ kind: 'cut', afterChunks: 40 });
  const stream = await client.chat.completions.create({
    model: 'm1',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
  });
  let text = '';
  await expect(
    (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })(),
  ).rejects.toThrow();
  expect(text.split(' ')).toHaveLength(40);
});
