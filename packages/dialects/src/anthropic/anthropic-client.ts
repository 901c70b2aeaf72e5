import type { ChatChunk, ChatCompletion, ChatError } from '../chat-types';
import type { ClientErrorReply, ClientStreamEncoder } from '../dialect';
import { anthropicErrorType } from './anthropic-error';
import { toAnthropicStopReason } from './map-anthropic-stop-reason';

const usageOf = (u: ChatCompletion['usage'] | null | undefined): Record<string, number> => {
  const cached = u?.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    input_tokens: Math.max(0, (u?.prompt_tokens ?? 0) - cached),
    output_tokens: u?.completion_tokens ?? 0,
    cache_read_input_tokens: cached,
    cache_creation_input_tokens: 0,
  };
};

/** A canonical answer → an Anthropic message (https://docs.anthropic.com/en/api/messages). */
export function chatToAnthropicMessage(completion: ChatCompletion, model: string): Record<string, unknown> {
  const choice = completion.choices[0];
  const content: Array<Record<string, unknown>> = [];
  const text = choice?.message.content ?? '';
  if (text !== '') content.push({ type: 'text', text });
  for (const call of choice?.message.tool_calls ?? []) {
    let input: unknown = {};
    try {
      input = JSON.parse(call.function.arguments || '{}');
    } catch {
      input = {};
    }
    content.push({ type: 'tool_use', id: call.id, name: call.function.name, input });
  }
  return {
    id: completion.id.startsWith('msg_') ? completion.id : `msg_${completion.id}`,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: toAnthropicStopReason(choice?.finish_reason),
    stop_sequence: null,
    usage: usageOf(completion.usage),
  };
}

/** An error in Anthropic's shape: `{"type":"error","error":{"type","message"}}` (https://docs.anthropic.com/en/api/errors). */
export function formatAnthropicError(status: number, error: ChatError): ClientErrorReply {
  const body = { type: 'error', error: { type: anthropicErrorType(status, error), message: error.message } };
  return { status, contentType: 'application/json', body: JSON.stringify(body) };
}

const event = (type: string, data: Record<string, unknown>): string =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/**
 * Canonical chunks → Anthropic stream events: `message_start` first, one content block per text
 * run or tool call (`content_block_start`/`_delta`/`_stop`; tool arguments as `input_json_delta`),
 * then `message_delta` with the stop reason and usage (held until the usage trailer or the end)
 * and `message_stop`. Claude Code needs every block closed to print anything.
 */
export function createAnthropicStreamEncoder(model: string): ClientStreamEncoder {
  let started = false;
  let block: { index: number; kind: 'text' | 'tool'; tool?: number } | null = null;
  let next = 0;
  let stop: string | null = null;
  let usage: ChatCompletion['usage'] | null = null;
  const start = (id: string): string => {
    if (started) return '';
    started = true;
    const message = {
      id: id.startsWith('msg_') ? id : `msg_${id}`,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: usageOf(null),
    };
    return event('message_start', { message });
  };
  const close = (): string => {
    if (block === null) return '';
    const out = event('content_block_stop', { index: block.index });
    block = null;
    return out;
  };
  return {
    chunk(chunk: ChatChunk) {
      let out = start(chunk.id);
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (choice === undefined) return out;
      const delta = choice.delta;
      if (typeof delta.content === 'string' && delta.content !== '') {
        if (block?.kind !== 'text') {
          out += close();
          block = { index: next++, kind: 'text' };
          out += event('content_block_start', { index: block.index, content_block: { type: 'text', text: '' } });
        }
        out += event('content_block_delta', { index: block.index, delta: { type: 'text_delta', text: delta.content } });
      }
      for (const call of delta.tool_calls ?? []) {
        if (block?.kind !== 'tool' || block.tool !== call.index) {
          out += close();
          block = { index: next++, kind: 'tool', tool: call.index };
          const content_block = {
            type: 'tool_use',
            id: call.id ?? `toolu_${call.index}`,
            name: call.function.name ?? '',
            input: {},
          };
          out += event('content_block_start', { index: block.index, content_block });
        }
        const args = call.function.arguments ?? '';
        if (args !== '')
          out += event('content_block_delta', {
            index: block.index,
            delta: { type: 'input_json_delta', partial_json: args },
          });
      }
      if (choice.finish_reason !== null) {
        out += close();
        stop = toAnthropicStopReason(choice.finish_reason);
      }
      return out;
    },
    done() {
      let out = start('aisbf') + close();
      out += event('message_delta', {
        delta: { stop_reason: stop ?? 'end_turn', stop_sequence: null },
        usage: usageOf(usage),
      });
      return out + event('message_stop', {});
    },
    error(error: ChatError) {
      return event('error', { error: { type: anthropicErrorType(502, error), message: error.message } });
    },
  };
}
