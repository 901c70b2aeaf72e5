import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from './mock-upstream';

// The tool-calling mock, held to the official SDK (its stream helper assembles the call) and to
// OpenAI's tool-use rules (a tool message needs its call; a call needs its tool message).
let mock: MockUpstream;
let client: OpenAI;
const tools: ChatCompletionTool[] = [
  { type: 'function', function: { name: 'exec_command', parameters: { type: 'object', properties: {} } } },
];
beforeAll(async () => {
  mock = await startMockUpstream({ models: ['agent'] });
  mock.setDefault({ kind: 'tool-call', tool: 'exec_command', args: '{"cmd":"ls -la"}' });
  client = new OpenAI({ baseURL: mock.url, apiKey: 'sk-test', maxRetries: 0 });
});
afterAll(() => mock.close());

it('calls the tool, then quotes its result (non-stream and through the SDK stream helper)', async () => {
  const first = await client.chat.completions.create({
    model: 'agent',
    messages: [{ role: 'user', content: 'ls' }],
    tools,
  });
  const call = first.choices[0]?.message.tool_calls?.[0];
  expect(first.choices[0]?.finish_reason).toBe('tool_calls');
  expect(call).toMatchObject({ type: 'function', function: { name: 'exec_command', arguments: '{"cmd":"ls -la"}' } });
  const streamed = await client.chat.completions
    .stream({ model: 'agent', messages: [{ role: 'user', content: 'ls' }], tools })
    .finalChatCompletion();
  expect(streamed.choices[0]?.message.tool_calls?.[0]).toMatchObject({ function: { arguments: '{"cmd":"ls -la"}' } });
  const messages: ChatCompletionMessageParam[] = [
    { role: 'user', content: 'ls' },
    { role: 'assistant', content: null, tool_calls: [call!] },
    { role: 'tool', tool_call_id: call!.id, content: 'a.txt' },
  ];
  const second = await client.chat.completions.stream({ model: 'agent', messages, tools }).finalChatCompletion();
  expect(second.choices[0]?.message.content).toBe('Tool result: a.txt');
});

it('refuses what OpenAI refuses: orphan tool messages, unanswered calls, bad tool names', async () => {
  const orphan = client.chat.completions.create({
    model: 'agent',
    messages: [
      { role: 'user', content: 'x' },
      { role: 'tool', tool_call_id: 'call_x', content: 'y' },
    ],
    tools,
  });
  await expect(orphan).rejects.toMatchObject({ status: 400, message: expect.stringContaining("role 'tool'") });
  const unanswered = client.chat.completions.create({
    model: 'agent',
    messages: [
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'exec_command', arguments: '{}' } }],
      },
      { role: 'user', content: 'x' },
    ],
    tools,
  });
  await expect(unanswered).rejects.toMatchObject({ status: 400, message: expect.stringContaining('c1') });
  const badName = client.chat.completions.create({
    model: 'agent',
    messages: [{ role: 'user', content: 'x' }],
    tools: [{ type: 'function', function: { name: 'ns.tool' } }],
  });
  await expect(badName).rejects.toMatchObject({ status: 400 });
});
