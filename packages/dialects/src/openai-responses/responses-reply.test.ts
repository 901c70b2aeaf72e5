import type { Responses } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import type { ChatChunk } from '../chat-types';
import type { ResponseContext } from './response-object';
import { createResponsesReply } from './responses-client';
import { responsesRequestSchema } from './responses-api';
import { responsesToChat } from './responses-to-chat';

/** A context from a real request, with deterministic ids. */
function context(): ResponseContext {
  const turn = responsesToChat(
    responsesRequestSchema.parse({
      model: 'gpt-5-codex',
      input: 'hi',
      tools: [
        { type: 'function', name: 'exec_command', parameters: { type: 'object' } },
        { type: 'custom', name: 'apply_patch' },
        { type: 'namespace', name: 'mcp', description: '', tools: [{ type: 'function', name: 'fetch' }] },
      ],
    }),
  );
  if (!turn.ok) throw new Error(turn.error.message);
  let n = 0;
  return {
    id: 'resp_1',
    createdAt: 1000,
    model: 'gpt-5-codex',
    echo: turn.value.echo,
    tools: turn.value.tools,
    newId: (prefix) => `${prefix}_${++n}`,
  };
}

const chunk = (
  delta: ChatChunk['choices'][number]['delta'],
  finish: ChatChunk['choices'][number]['finish_reason'] = null,
): ChatChunk => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'qwen2.5-coder',
  choices: [{ index: 0, delta, finish_reason: finish }],
});

describe('Responses replies', () => {
  it('a whole chat answer becomes a Response the openai SDK types accept', () => {
    const reply = createResponsesReply(context(), () => 2_000_000);
    const response = reply.fromCanonical({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'qwen2.5-coder',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Running it.',
            tool_calls: [
              { id: 'call_a', type: 'function', function: { name: 'exec_command', arguments: '{"cmd":"ls"}' } },
              { id: 'call_b', type: 'function', function: { name: 'apply_patch', arguments: '{"input":"*** Begin"}' } },
              { id: 'call_c', type: 'function', function: { name: 'mcp__fetch', arguments: '{}' } },
            ],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 4 } },
    });
    // The fields aisbf makes must match the SDK's types; echoed request fields are the client's own.
    const typed: Omit<Responses.Response, 'output_text' | 'tools' | 'tool_choice' | 'reasoning' | 'text'> = response;
    expect(typed.status).toBe('completed');
    expect(response.model).toBe('qwen2.5-coder');
    expect(response.completed_at).toBe(2000);
    expect(response.output).toEqual([
      {
        type: 'message',
        id: 'msg_1',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Running it.', annotations: [], logprobs: [] }],
      },
      {
        type: 'function_call',
        id: 'fc_2',
        call_id: 'call_a',
        name: 'exec_command',
        arguments: '{"cmd":"ls"}',
        status: 'completed',
      },
      {
        type: 'custom_tool_call',
        id: 'ctc_3',
        call_id: 'call_b',
        name: 'apply_patch',
        input: '*** Begin',
        status: 'completed',
      },
      {
        type: 'function_call',
        id: 'fc_4',
        call_id: 'call_c',
        name: 'fetch',
        namespace: 'mcp',
        arguments: '{}',
        status: 'completed',
      },
    ]);
    expect(response.usage).toEqual({
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 4, cache_write_tokens: 0 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 15,
    });
  });

  it('a cut-off answer is incomplete, naming max_output_tokens', () => {
    const response = createResponsesReply(context(), () => 0).fromCanonical({
      id: 'x',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: 'abc' }, finish_reason: 'length' }],
    });
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(response.output[0]?.status).toBe('incomplete');
  });

  it('streams text then a tool call as the documented event sequence', () => {
    const encoder = createResponsesReply(context(), () => 3_000_000).createStreamEncoder();
    const text =
      encoder.chunk(chunk({ role: 'assistant', content: '' })) +
      encoder.chunk(chunk({ content: 'Let me ' })) +
      encoder.chunk(chunk({ content: 'look.' })) +
      encoder.chunk(
        chunk({
          tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'exec_command', arguments: '' } }],
        }),
      ) +
      encoder.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"cmd":' } }] })) +
      encoder.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: '"ls"}' } }] })) +
      encoder.chunk(
        chunk({
          tool_calls: [{ index: 1, id: 'call_2', function: { name: 'apply_patch', arguments: '{"input":"P"}' } }],
        }),
      ) +
      encoder.chunk(chunk({}, 'tool_calls')) +
      encoder.chunk({
        ...chunk({}),
        choices: [],
        usage: { prompt_tokens: 3, completion_tokens: 7, total_tokens: 10 },
      }) +
      encoder.done();
    const frames = text.split('\n\n').filter((f) => f !== '');
    const events = frames.map((f) => {
      const [eventLine, dataLine] = f.split('\n');
      const data = JSON.parse(dataLine!.slice(6)) as Responses.ResponseStreamEvent;
      expect(eventLine).toBe(`event: ${data.type}`);
      return data;
    });
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.output_item.added',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const completed = events.at(-1) as Responses.ResponseCompletedEvent;
    expect(completed.response.output).toEqual(encoder.response().output);
    expect(completed.response.output.map((o) => o.type)).toEqual(['message', 'function_call', 'custom_tool_call']);
    expect(completed.response.output[1]).toMatchObject({
      call_id: 'call_1',
      arguments: '{"cmd":"ls"}',
      status: 'completed',
    });
    expect(completed.response.output[2]).toMatchObject({ call_id: 'call_2', input: 'P' });
    expect(completed.response.usage?.output_tokens).toBe(7);
    expect(completed.response.completed_at).toBe(3000);
  });

  it('a stream cut mid-answer ends with response.failed holding what was finished', () => {
    const encoder = createResponsesReply(context(), () => 0).createStreamEncoder();
    encoder.chunk(chunk({ content: 'partial' }));
    const text = encoder.error({
      message: 'upstream cut',
      type: 'upstream_error',
      code: 'upstream_stream_interrupted',
      param: null,
    });
    const last = JSON.parse(text.trim().split('\n').at(-1)!.slice(6)) as Responses.ResponseFailedEvent;
    expect(last.type).toBe('response.failed');
    expect(last.response.status).toBe('failed');
    expect(last.response.error).toEqual({ code: 'server_error', message: 'upstream cut' });
    expect(last.response.output).toEqual([]);
  });
});
