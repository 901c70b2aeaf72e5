import { ApiError, GoogleGenAI, type Content } from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockGemini, type MockGemini } from './mock-gemini';

// The official SDK as the client keeps the fake honest: what it sends, the fake takes; what the
// fake answers, it reads (https://github.com/googleapis/js-genai).
let gemini: MockGemini;
let ai: GoogleGenAI;

beforeAll(async () => {
  gemini = await startMockGemini({
    words: 6,
    reply: (body) => {
      const contents = body['contents'] as Content[];
      const last = contents.at(-1)?.parts?.[0];
      if (body['tools'] === undefined) return null;
      if (last?.functionResponse !== undefined)
        return [{ text: `It is ${JSON.stringify(last.functionResponse.response)}` }];
      return [{ functionCall: { name: 'weather', args: { city: 'Paris' } } }];
    },
  });
  ai = new GoogleGenAI({ apiKey: 'gemini-test-key', httpOptions: { baseUrl: gemini.url } });
});
afterAll(() => gemini.close());

describe('the Gemini fake, through @google/genai', () => {
  it('answers generateContent with a system instruction and usage', async () => {
    const answer = await ai.models.generateContent({
      model: 'gemini-test',
      contents: [
        { role: 'user', parts: [{ text: 'hi there' }] },
        { role: 'model', parts: [{ text: 'hello' }] },
        { role: 'user', parts: [{ text: 'count' }] },
      ],
      config: { systemInstruction: 'be brief', temperature: 0.2, maxOutputTokens: 100 },
    });
    expect(answer.text).toBe('w1 w2 w3 w4 w5 w6');
    expect(answer.candidates?.[0]?.finishReason).toBe('STOP');
    expect(answer.usageMetadata).toMatchObject({ promptTokenCount: 6, candidatesTokenCount: 6, totalTokenCount: 12 });
    const sent = gemini.requests.at(-1)!;
    expect(sent.headers['x-goog-api-key']).toBe('gemini-test-key');
    expect(sent.body).toMatchObject({
      systemInstruction: { parts: [{ text: 'be brief' }] },
      generationConfig: { temperature: 0.2 },
    });
  });

  it('streams over SSE, the last event with the finish reason and the usage', async () => {
    const stream = await ai.models.generateContentStream({
      model: 'gemini-test',
      contents: 'go',
      config: { maxOutputTokens: 4 },
    });
    let text = '';
    let last;
    for await (const chunk of stream) {
      text += chunk.text ?? '';
      last = chunk;
    }
    expect(text).toBe('w1 w2 w3 w4');
    expect(last?.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    expect(last?.usageMetadata?.candidatesTokenCount).toBe(4);
  });

  it('makes a function call and reads the function response in its own form', async () => {
    const tools = [{ functionDeclarations: [{ name: 'weather', parametersJsonSchema: { type: 'object' } }] }];
    const first = await ai.models.generateContent({ model: 'gemini-test', contents: 'weather?', config: { tools } });
    expect(first.functionCalls).toEqual([{ name: 'weather', args: { city: 'Paris' } }]);
    const second = await ai.models.generateContent({
      model: 'gemini-test',
      contents: [
        { role: 'user', parts: [{ text: 'weather?' }] },
        { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'Paris' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { temp: 21 } } }] },
      ],
      config: { tools },
    });
    expect(second.text).toBe('It is {"temp":21}');
  });

  it('refuses what the real API refuses, with its status', async () => {
    const status = async (contents: Content[]) => {
      try {
        await ai.models.generateContent({ model: 'gemini-test', contents });
        return 200;
      } catch (error) {
        return error instanceof ApiError ? `${error.status} ${error.message}` : String(error);
      }
    };
    expect(await status([{ role: 'assistant', parts: [{ text: 'x' }] }])).toMatch(/^400 .*valid role: user, model/);
    // The SDK itself refuses an empty contents; a raw request shows the API's own refusal.
    const empty = await fetch(`${gemini.url}/v1beta/models/gemini-test:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': 'gemini-test-key' },
      body: JSON.stringify({ contents: [], temperature: 1 }),
    });
    expect([empty.status, await empty.text()]).toEqual([
      400,
      expect.stringContaining('Unknown name \\"temperature\\"'),
    ]);
    const noContents = await fetch(`${gemini.url}/v1beta/models/gemini-test:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': 'gemini-test-key' },
      body: JSON.stringify({ contents: [] }),
    });
    expect(noContents.status).toBe(400);
    expect(await noContents.text()).toContain('contents is not specified');
    expect(await status([{ role: 'user', parts: [{ functionResponse: { name: 'f', response: {} } }] }])).toMatch(
      /^400 .*function response turn comes immediately after a function call turn/,
    );
    const wrongKey = new GoogleGenAI({ apiKey: 'nope', httpOptions: { baseUrl: gemini.url } });
    await expect(wrongKey.models.generateContent({ model: 'gemini-test', contents: 'x' })).rejects.toMatchObject({
      status: 400,
    });
    gemini.enqueue({ kind: 'error', code: 429, status: 'RESOURCE_EXHAUSTED', message: 'quota' });
    expect(await status([{ role: 'user', parts: [{ text: 'x' }] }])).toMatch(/^429 /);
  });

  it('lists models and embeds one text or a batch', async () => {
    const names: string[] = [];
    for await (const model of await ai.models.list()) names.push(model.name ?? '');
    expect(names).toEqual(['models/gemini-test', 'models/text-embedding-test']);
    const one = await ai.models.embedContent({ model: 'text-embedding-test', contents: 'abc' });
    expect(one.embeddings?.[0]?.values).toHaveLength(4);
    const many = await ai.models.embedContent({
      model: 'text-embedding-test',
      contents: ['a', 'bb'],
      config: { outputDimensionality: 2 },
    });
    expect(many.embeddings?.map((e) => e.values)).toEqual([
      [0.01, 0.02],
      [0.02, 0.03],
    ]);
  });
});
