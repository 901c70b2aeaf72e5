import OpenAI from 'openai';
import type { Responses } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryResponseStore } from './client-dialect/memory-response-store';
import { post, startHarness, words, type Harness } from './test-harness';

const TOOLS: Responses.Tool[] = [
  {
    type: 'function',
    name: 'exec_command',
    description: 'Run a shell command',
    parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] },
    strict: false,
  },
  { type: 'web_search' },
];

describe('POST /responses through the openai SDK', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      providers: [{ id: 'coderai-local', models: ['qwen2.5-coder:32b', 'agent'], mock: { words: 12 } }],
      rotations: [
        { id: 'coding', config: { providers: [{ provider_id: 'coderai-local', model: 'qwen2.5-coder:32b' }] } },
      ],
      deps: { responseStore: createMemoryResponseStore() },
    });
    h.mocks['coderai-local']!.setDefault({
      kind: 'tool-call',
      model: 'agent',
      tool: 'exec_command',
      args: '{"cmd":"ls"}',
    });
  });
  afterAll(async () => h.close());

  const client = (base: string, token = h.tokens.alice): OpenAI =>
    new OpenAI({ baseURL: base, apiKey: token, maxRetries: 0 });

  it.each(['/api/u/alice', '/api/u/alice/v1', '/v1'])(
    'answers a non-stream request via %s as a Response',
    async (base) => {
      const response = await client(`${h.url}${base}`).responses.create({
        model: 'user-rotation/coding',
        instructions: 'Be brief.',
        input: 'hi there',
        max_output_tokens: 100,
      });
      expect(response.object).toBe('response');
      expect(response.id).toMatch(/^resp_/);
      expect(response.status).toBe('completed');
      expect(response.output_text).toBe(words(1, 12));
      expect(response.model).toBe('qwen2.5-coder:32b');
      expect(response.usage).toMatchObject({ output_tokens: 12, input_tokens: expect.any(Number) });
      const upstream = h.mocks['coderai-local']!.requests.at(-1)!.body as Record<string, unknown>;
      expect(upstream).toEqual({
        model: 'qwen2.5-coder:32b',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hi there' },
        ],
        max_completion_tokens: 100,
      });
      expect(h.events.at(-1)).toMatchObject({
        route: 'user-rotation/coding',
        status: 200,
        outcome: 'ok',
        completionTokens: 12,
      });
    },
  );

  it('streams the documented events, ending with response.completed', async () => {
    const stream = await client(h.v1).responses.create({ model: 'user-rotation/coding', input: 'hi', stream: true });
    const types: string[] = [];
    let text = '';
    let completed: Responses.Response | null = null;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(text).toBe(words(1, 12));
    expect(types.slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.slice(-4)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(completed?.usage?.output_tokens).toBe(12);
    expect(h.events.at(-1)).toMatchObject({ stream: true, outcome: 'ok', completionTokens: 12, estimated: false });
  });

  it('runs a function-call round trip, then continues by previous_response_id', async () => {
    const openai = client(h.v1);
    const first = await openai.responses.create({
      model: 'user-provider/coderai-local/agent',
      input: 'list files',
      tools: TOOLS,
    });
    const call = first.output.find((o): o is Responses.ResponseFunctionToolCall => o.type === 'function_call');
    expect(call).toMatchObject({ name: 'exec_command', arguments: '{"cmd":"ls"}', status: 'completed' });
    // Sent whole (no previous_response_id): the call and its output.
    const second = await openai.responses.create({
      model: 'user-provider/coderai-local/agent',
      input: [
        { role: 'user', content: 'list files' },
        call!,
        { type: 'function_call_output', call_id: call!.call_id, output: 'a.txt b.txt' },
      ],
      tools: TOOLS,
    });
    expect(second.output_text).toBe('Tool result: a.txt b.txt');
    // By reference: only the tool output, the call comes from the stored response.
    const third = await openai.responses.create({
      model: 'user-provider/coderai-local/agent',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call!.call_id, output: 'c.txt' }],
      tools: TOOLS,
    });
    expect(third.output_text).toBe('Tool result: c.txt');
    const upstream = h.mocks['coderai-local']!.requests.at(-1)!.body as { messages: unknown[]; tools: unknown[] };
    expect(upstream.messages).toEqual([
      { role: 'user', content: 'list files' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: call!.call_id, type: 'function', function: { name: 'exec_command', arguments: '{"cmd":"ls"}' } },
        ],
      },
      { role: 'tool', tool_call_id: call!.call_id, content: 'c.txt' },
    ]);
    expect(upstream.tools).toHaveLength(1);
  });

  it('streams a tool call as function_call_arguments events and output_item.done', async () => {
    const stream = await client(h.v1).responses.create({
      model: 'user-provider/coderai-local/agent',
      input: 'list files',
      tools: TOOLS,
      stream: true,
    });
    let args = '';
    let done: Responses.ResponseOutputItem | null = null;
    for await (const event of stream) {
      if (event.type === 'response.function_call_arguments.delta') args += event.delta;
      if (event.type === 'response.output_item.done') done = event.item;
    }
    expect(args).toBe('{"cmd":"ls"}');
    expect(done).toMatchObject({ type: 'function_call', name: 'exec_command', arguments: '{"cmd":"ls"}' });
  });

  it('an unknown or foreign previous_response_id is a 404 in the OpenAI error shape', async () => {
    const mine = await client(h.v1).responses.create({ model: 'user-rotation/coding', input: 'remember me' });
    const unknown = client(h.v1).responses.create({
      model: 'user-rotation/coding',
      previous_response_id: 'resp_nope',
      input: 'x',
    });
    await expect(unknown).rejects.toMatchObject({
      status: 404,
      code: 'previous_response_not_found',
      param: 'previous_response_id',
    });
    // Bob cannot continue alice's response, even knowing its id.
    const foreign = client(h.v1, h.tokens.bob).responses.create({
      model: 'user-rotation/coding',
      previous_response_id: mine.id,
      input: 'x',
    });
    await expect(foreign).rejects.toMatchObject({ status: 404, code: 'previous_response_not_found' });
  });

  it('store: false keeps nothing', async () => {
    const unstored = await client(h.v1).responses.create({ model: 'user-rotation/coding', input: 'x', store: false });
    const follow = client(h.v1).responses.create({
      model: 'user-rotation/coding',
      previous_response_id: unstored.id,
      input: 'y',
    });
    await expect(follow).rejects.toMatchObject({ status: 404 });
  });

  it('bad requests are 400s naming the field; routing errors keep their status', async () => {
    const bad = await post(`${h.v1}/responses`, h.tokens.alice, {
      model: 'user-rotation/coding',
      input: [{ role: 'robot', content: 'x' }],
    });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toMatchObject({ error: { type: 'invalid_request_error', param: 'input.0.role' } });
    const missing = client(h.v1).responses.create({ model: 'user-rotation/nope', input: 'x' });
    await expect(missing).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    h.mocks['coderai-local']!.enqueue({
      kind: 'status',
      status: 400,
      body: { error: { message: 'bad temperature', type: 'invalid_request_error', code: null, param: 'temperature' } },
    });
    const refused = client(h.v1).responses.create({ model: 'user-rotation/coding', input: 'x' });
    await expect(refused).rejects.toMatchObject({ status: 400, message: expect.stringContaining('bad temperature') });
  });

  it('a stream cut after the first token ends with response.failed, never a hang', async () => {
    h.mocks['coderai-local']!.enqueue({ kind: 'cut', afterChunks: 3 });
    const res = await post(`${h.v1}/responses`, h.tokens.alice, {
      model: 'user-rotation/coding',
      input: 'x',
      stream: true,
    });
    const events = res.text
      .split('\n\n')
      .filter((f) => f.startsWith('event: '))
      .map((f) => JSON.parse(f.split('\n')[1]!.slice(6)) as Responses.ResponseStreamEvent);
    const last = events.at(-1)!;
    expect(last.type).toBe('response.failed');
    expect(last.type === 'response.failed' && last.response.error?.code).toBe('server_error');
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
  });
});
