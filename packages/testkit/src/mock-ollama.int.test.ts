import { Ollama, type Message } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockOllama, type MockOllama } from './mock-ollama';

// The official `ollama` client keeps the fake honest (https://github.com/ollama/ollama-js).
let fake: MockOllama;
let client: Ollama;

beforeAll(async () => {
  fake = await startMockOllama({
    words: 5,
    reply: (body) => {
      if (body['tools'] === undefined) return null;
      const last = (body['messages'] as Message[]).at(-1);
      if (last?.role === 'tool') return { content: `The sum is ${last.content}` };
      return { content: '', tool_calls: [{ function: { name: 'add', arguments: { a: 1, b: 2 } } }] };
    },
  });
  client = new Ollama({ host: fake.url });
});
afterAll(() => fake.close());

describe('the Ollama fake, through the ollama client', () => {
  it('answers a chat whole with its counts', async () => {
    const answer = await client.chat({
      model: 'llama-test',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'count to five' },
      ],
      options: { temperature: 0 },
    });
    expect(answer.message).toEqual({ role: 'assistant', content: 'w1 w2 w3 w4 w5' });
    expect(answer).toMatchObject({ done: true, done_reason: 'stop', prompt_eval_count: 5, eval_count: 5 });
  });

  it('streams NDJSON, ending with a done line', async () => {
    const parts: string[] = [];
    let done;
    for await (const part of await client.chat({
      model: 'llama-test',
      messages: [{ role: 'user', content: 'go' }],
      stream: true,
      options: { num_predict: 3 },
    })) {
      parts.push(part.message.content);
      if (part.done) done = part;
    }
    expect(parts.join('')).toBe('w1 w2 w3');
    expect(done).toMatchObject({ done_reason: 'length', eval_count: 3 });
    expect(fake.requests.at(-1)?.body).toMatchObject({ stream: true });
  });

  it('makes a tool call and reads the tool result', async () => {
    const tools = [{ type: 'function', function: { name: 'add', parameters: { type: 'object', properties: {} } } }];
    const first = await client.chat({ model: 'llama-test', messages: [{ role: 'user', content: 'add' }], tools });
    expect(first.message.tool_calls).toEqual([{ function: { name: 'add', arguments: { a: 1, b: 2 } } }]);
    const second = await client.chat({
      model: 'llama-test',
      tools,
      messages: [{ role: 'user', content: 'add' }, first.message, { role: 'tool', content: '3', tool_name: 'add' }],
    });
    expect(second.message.content).toBe('The sum is 3');
  });

  it('refuses what Ollama refuses, with its status', async () => {
    await expect(client.chat({ model: 'missing', messages: [] })).rejects.toMatchObject({
      status_code: 404,
      error: 'model "missing" not found, try pulling it first',
    });
    const bad = await fetch(`${fake.url}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({
        model: 'llama-test',
        stream: false,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }],
      }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(
      /cannot unmarshal array into Go struct field Message.messages.content of type string/,
    );
    fake.enqueue({ kind: 'error', status: 500, error: 'out of memory' });
    await expect(
      client.chat({ model: 'llama-test', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status_code: 500 });
  });

  it('lists pulled models and embeds', async () => {
    expect((await client.list()).models.map((m) => m.name)).toEqual(['llama-test', 'embed-test']);
    const out = await client.embed({ model: 'embed-test', input: ['a', 'bb'], dimensions: 2 });
    expect(out.embeddings).toEqual([
      [0.01, 0.02],
      [0.02, 0.03],
    ]);
    expect(out.prompt_eval_count).toBe(2);
  });
});
