import { describe, expect, it } from 'vitest';
import type { ChatChunk } from '../chat-types';
import type { BackendTarget } from '../dialect';
import { ollamaBackend } from './ollama-backend';

const target = (over: Partial<BackendTarget> = {}): BackendTarget => ({
  model: 'llama3.2',
  apiKey: null,
  defaultMaxTokens: null,
  stream: false,
  ...over,
});

const build = (body: Record<string, unknown>, over: Partial<BackendTarget> = {}) => {
  const out = ollamaBackend.buildChat({ model: 'route', ...body }, target(over));
  if (!out.ok) throw new Error(out.error.message);
  return { ...out.value, json: JSON.parse(out.value.body) as Record<string, unknown> };
};

const tool = {
  type: 'function',
  function: { name: 'add', parameters: { type: 'object', properties: { a: { type: 'number' } } } },
};

describe('ollamaBackend.buildChat', () => {
  it('always sends stream, puts sampling in options and JSON mode in format', () => {
    const req = build({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      temperature: 0.1,
      top_p: 0.5,
      max_completion_tokens: 20,
      stop: ['x', 'y'],
      seed: 3,
      presence_penalty: 0.2,
      response_format: { type: 'json_object' },
    });
    expect(req.path).toBe('/api/chat');
    expect(req.headers).toEqual({});
    expect(req.json).toEqual({
      model: 'llama3.2',
      stream: false,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      format: 'json',
      options: { temperature: 0.1, top_p: 0.5, num_predict: 20, stop: ['x', 'y'], seed: 3, presence_penalty: 0.2 },
    });
    expect(build({ messages: [{ role: 'user', content: 'Hi' }] }, { stream: true, apiKey: 'k' })).toMatchObject({
      headers: { authorization: 'Bearer k' },
      json: { stream: true },
    });
  });

  it('sends tools, tool calls with object arguments, and tool results named after their function', () => {
    const req = build({
      tools: [tool],
      response_format: { type: 'json_schema', json_schema: { schema: { type: 'object' } } },
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Add 1 and 2' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          ],
        },
        {
          role: 'assistant',
          content: '',
          tool_calls: [{ id: 't1', type: 'function', function: { name: 'add', arguments: '{"a":1}' } }],
        },
        { role: 'tool', tool_call_id: 't1', content: '3' },
      ],
    });
    expect(req.json['tools']).toEqual([tool]);
    expect(req.json['format']).toEqual({ type: 'object' });
    expect(req.json['messages']).toEqual([
      { role: 'user', content: 'Add 1 and 2', images: ['AAAA'] },
      { role: 'assistant', content: '', tool_calls: [{ function: { name: 'add', arguments: { a: 1 } } }] },
      { role: 'tool', content: '3', tool_name: 'add' },
    ]);
    expect(
      build({ tools: [tool], tool_choice: 'none', messages: [{ role: 'user', content: 'x' }] }).json['tools'],
    ).toBeUndefined();
  });

  it('refuses an image URL (Ollama fetches none) and n > 1, naming the field', () => {
    const fail = (body: Record<string, unknown>) => {
      const out = ollamaBackend.buildChat({ model: 'r', ...body }, target());
      return out.ok ? null : out.error.param;
    };
    expect(
      fail({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] }),
    ).toBe('messages[0].content[0].image_url.url');
    expect(fail({ messages: [{ role: 'user', content: 'x' }], n: 2 })).toBe('n');
  });

  it('continues a prefill as a final assistant message', () => {
    const req = build({ messages: [{ role: 'user', content: 'Count' }] }, { prefill: 'one two' });
    expect(req.json['messages']).toEqual([
      { role: 'user', content: 'Count' },
      { role: 'assistant', content: 'one two' },
    ]);
  });
});

describe('ollamaBackend answers', () => {
  it('parses a whole answer with its counts and tool calls', () => {
    const out = ollamaBackend.parseChat(
      JSON.stringify({
        model: 'llama3.2',
        created_at: '2024-07-22T20:33:28.123648Z',
        message: { role: 'assistant', content: '', tool_calls: [{ function: { name: 'add', arguments: { a: 1 } } }] },
        done: true,
        done_reason: 'stop',
        prompt_eval_count: 26,
        eval_count: 9,
      }),
      { model: 'llama3.2', created: 9 },
    );
    expect(out).toEqual({
      ok: true,
      value: {
        id: 'chatcmpl-ollama-20240722203328123648',
        object: 'chat.completion',
        created: 9,
        model: 'llama3.2',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: null,
              tool_calls: [
                {
                  id: 'call_ollama-20240722203328123648_0',
                  type: 'function',
                  function: { name: 'add', arguments: '{"a":1}' },
                },
              ],
              refusal: null,
            },
            finish_reason: 'tool_calls',
          },
        ],
        usage: { prompt_tokens: 26, completion_tokens: 9, total_tokens: 35 },
      },
    });
    expect(ollamaBackend.parseChat('{"message":{}}', { model: 'm', created: 1 }).ok).toBe(false);
  });

  it('transcodes NDJSON lines: text deltas, whole tool calls, the finish and the usage trailer on the done line', () => {
    const t = ollamaBackend.createStreamTranscoder({ model: 'llama3.2', created: 2 });
    const lines = [
      { created_at: '2024-01-01T00:00:00.5Z', message: { role: 'assistant', content: 'Sure' }, done: false },
      {
        created_at: '2024-01-01T00:00:00.6Z',
        message: { role: 'assistant', content: '', tool_calls: [{ function: { name: 'add', arguments: { a: 2 } } }] },
        done: false,
      },
      {
        created_at: '2024-01-01T00:00:00.7Z',
        message: { role: 'assistant', content: '' },
        done: true,
        done_reason: 'stop',
        prompt_eval_count: 4,
        eval_count: 6,
      },
    ];
    const chunks: ChatChunk[] = [];
    for (const line of lines) {
      const r = t.push(JSON.stringify(line));
      if (!r.ok) throw new Error(r.error);
      for (const c of r.value) if (!('error' in c)) chunks.push(c);
    }
    expect(t.end()).toEqual([]);
    expect(chunks.map((c) => [c.choices[0]?.delta ?? c.usage, c.choices[0]?.finish_reason ?? null])).toEqual([
      [{ role: 'assistant', content: 'Sure' }, null],
      [
        {
          tool_calls: [
            {
              index: 0,
              id: 'call_ollama-202401010000005_0',
              type: 'function',
              function: { name: 'add', arguments: '{"a":2}' },
            },
          ],
        },
        null,
      ],
      [{}, 'tool_calls'],
      [{ prompt_tokens: 4, completion_tokens: 6, total_tokens: 10 }, null],
    ]);
    expect(t.push('{"error":"out of memory"}')).toEqual({
      ok: true,
      value: [{ error: { message: 'out of memory', type: 'server_error', code: null, param: null } }],
    });
  });

  it('keeps the HTTP status of errors: 404 is a model not pulled', () => {
    expect(ollamaBackend.mapError(404, '{"error":"model \\"x\\" not found, try pulling it first"}', {})).toMatchObject({
      status: 404,
      code: 'model_not_found',
      error: { message: 'model "x" not found, try pulling it first' },
    });
    expect(ollamaBackend.mapError(500, 'boom', {}).status).toBe(500);
  });

  it('embeds through /api/embed with its prompt_eval_count as usage, and lists /api/tags', () => {
    const req = ollamaBackend.embeddings!.build(
      { model: 'r', input: ['a', 'b'], dimensions: 2 },
      target({ model: 'nomic-embed-text' }),
    );
    expect(req.ok && req.value.path).toBe('/api/embed');
    expect(req.ok && JSON.parse(req.value.body)).toEqual({
      model: 'nomic-embed-text',
      input: ['a', 'b'],
      dimensions: 2,
    });
    const out = ollamaBackend.embeddings!.parse(
      JSON.stringify({
        model: 'nomic-embed-text',
        embeddings: [
          [1, 2],
          [3, 4],
        ],
        prompt_eval_count: 2,
      }),
      { input: ['a', 'b'] },
      { model: 'route' },
    );
    expect(out).toEqual({
      ok: true,
      value: {
        object: 'list',
        model: 'route',
        data: [
          { object: 'embedding', index: 0, embedding: [1, 2] },
          { object: 'embedding', index: 1, embedding: [3, 4] },
        ],
        usage: { prompt_tokens: 2, total_tokens: 2 },
      },
    });
    expect(ollamaBackend.models.parse({ models: [{ name: 'llama3.2:latest', model: 'llama3.2:latest' }] })).toEqual([
      'llama3.2:latest',
    ]);
    expect(ollamaBackend.models.parse({ data: [] })).toBeNull();
  });
});
