import type { ChatChunk } from '../chat-types';
import { finishedResponse } from './finished-response';
import {
  customInput,
  mapFinishReason,
  responseShell,
  toolCallItem,
  usageField,
  type OutputItem,
  type ResponseContext,
  type ResponseObject,
} from './response-object';

export interface ResponsesStreamEncoder {
  /** One `chat.completion.chunk` → the Responses events it makes, as SSE text ('' for none). */
  chunk(chunk: ChatChunk): string;
  /** The chat stream ended: open items are closed, then `response.completed` (or `.incomplete`). */
  end(completedAt: number): string;
  /** The stream broke after it started: `response.failed` with what was finished so far. */
  fail(error: NonNullable<ResponseObject['error']>): string;
  /** The Response as it stands (the whole answer once `end` ran). */
  response(): ResponseObject;
}

type MessageItem = Extract<OutputItem, { type: 'message' }>;
type CallItem = Extract<OutputItem, { type: 'function_call' | 'custom_tool_call' }>;

interface OpenText {
  item: MessageItem;
  index: number;
  text: string;
}

interface OpenCall {
  item: CallItem;
  index: number;
  args: string;
}

/**
 * Chat chunks → the Responses streaming events (OpenAI's "Streaming events" reference):
 * `response.created`, `response.in_progress`, then per output item `response.output_item.added`,
 * its deltas (`response.content_part.added` + `response.output_text.delta`, or
 * `response.function_call_arguments.delta`), its `….done` events and `response.output_item.done`,
 * and last `response.completed`. Every event carries a `sequence_number` from 0. Text is one
 * message item; tool calls stay open until the stream ends (chat backends may interleave their
 * argument deltas). A custom tool's input is sent whole when its call closes: its chat arguments
 * are the JSON `{"input": …}`, which cannot be unwrapped piece by piece.
 */
export function createResponsesStreamEncoder(ctx: ResponseContext): ResponsesStreamEncoder {
  let seq = 0;
  let started = false;
  let model = ctx.model;
  let finishReason: string | null = null;
  let usage: ChatChunk['usage'] = null;
  const output: OutputItem[] = [];
  let text: OpenText | null = null;
  const calls = new Map<number, OpenCall>();
  let current: ResponseObject = responseShell(ctx, 'in_progress');

  const event = (type: string, fields: Record<string, unknown>): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...fields })}\n\n`;

  const start = (): string => {
    if (started) return '';
    started = true;
    const shell = responseShell(ctx, 'in_progress', model);
    return event('response.created', { response: shell }) + event('response.in_progress', { response: shell });
  };

  const closeText = (status: 'completed' | 'incomplete'): string => {
    if (text === null) return '';
    const { item, index } = text;
    const part = { type: 'output_text' as const, text: text.text, annotations: [], logprobs: [] };
    const done: MessageItem = { ...item, status, content: [part] };
    output[index] = done;
    const ids = { item_id: item.id, output_index: index, content_index: 0 };
    text = null;
    return (
      event('response.output_text.done', { ...ids, text: part.text, logprobs: [] }) +
      event('response.content_part.done', { ...ids, part }) +
      event('response.output_item.done', { output_index: index, item: done })
    );
  };

  const closeCalls = (status: 'completed' | 'incomplete'): string => {
    let out = '';
    for (const call of [...calls.values()].sort((a, b) => a.index - b.index)) {
      const ids = { item_id: call.item.id, output_index: call.index };
      let done: CallItem;
      if (call.item.type === 'custom_tool_call') {
        const input = customInput(call.args);
        done = { ...call.item, input, status };
        out += event('response.custom_tool_call_input.delta', { ...ids, delta: input });
        out += event('response.custom_tool_call_input.done', { ...ids, input });
      } else {
        done = { ...call.item, arguments: call.args, status };
        out += event('response.function_call_arguments.done', { ...ids, name: call.item.name, arguments: call.args });
      }
      output[call.index] = done;
      out += event('response.output_item.done', { output_index: call.index, item: done });
    }
    calls.clear();
    return out;
  };

  return {
    chunk(chunk) {
      if (typeof chunk.model === 'string' && chunk.model !== '') model = chunk.model;
      if (chunk.usage !== undefined && chunk.usage !== null) usage = chunk.usage;
      let out = start();
      const choice = chunk.choices?.[0];
      const delta = choice?.delta;
      const piece = delta?.content ?? '';
      if (piece !== '') {
        if (text === null) {
          const item: MessageItem = {
            type: 'message',
            id: ctx.newId('msg'),
            role: 'assistant',
            status: 'in_progress',
            content: [],
          };
          text = { item, index: output.length, text: '' };
          output.push(item);
          const ids = { item_id: item.id, output_index: text.index, content_index: 0 };
          out += event('response.output_item.added', { output_index: text.index, item });
          out += event('response.content_part.added', {
            ...ids,
            part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
          });
        }
        text.text += piece;
        out += event('response.output_text.delta', {
          item_id: text.item.id,
          output_index: text.index,
          content_index: 0,
          delta: piece,
          logprobs: [],
        });
      }
      for (const tc of delta?.tool_calls ?? []) {
        const key = tc.index ?? 0;
        let call = calls.get(key);
        if (call === undefined) {
          out += closeText('completed');
          const item = toolCallItem(
            ctx,
            {
              id: tc.id ?? ctx.newId('call'),
              type: 'function',
              function: { name: tc.function?.name ?? '', arguments: '' },
            },
            'in_progress',
          );
          call = { item, index: output.length, args: '' };
          calls.set(key, call);
          output.push(item);
          out += event('response.output_item.added', { output_index: call.index, item });
        }
        const args = tc.function?.arguments ?? '';
        if (args === '') continue;
        call.args += args;
        if (call.item.type === 'function_call')
          out += event('response.function_call_arguments.delta', {
            item_id: call.item.id,
            output_index: call.index,
            delta: args,
          });
      }
      if (typeof choice?.finish_reason === 'string') finishReason = choice.finish_reason;
      return out;
    },
    end(completedAt) {
      const finish = mapFinishReason(finishReason);
      const itemStatus = finish.status === 'incomplete' ? 'incomplete' : 'completed';
      const out = start() + closeText(itemStatus) + closeCalls(itemStatus);
      current = finishedResponse(ctx, { model, finishReason, output: [...output], usage }, completedAt);
      return (
        out + event(finish.status === 'completed' ? 'response.completed' : 'response.incomplete', { response: current })
      );
    },
    fail(error) {
      const out = start();
      current = {
        ...responseShell(ctx, 'failed', model),
        error,
        output: output.filter((item) => item.status !== 'in_progress'),
        ...usageField(usage),
      };
      return out + event('response.failed', { response: current });
    },
    response: () => current,
  };
}
