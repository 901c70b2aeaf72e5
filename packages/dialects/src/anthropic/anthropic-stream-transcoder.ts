import type { ChatChunk, ChatChunkDelta, ChatError, ChatFinishReason } from '../chat-types';
import type { StreamTranscoder } from '../dialect';
import { anthropicStreamEventSchema, type AnthropicUsage } from './anthropic-messages-api';
import { convertAnthropicUsage } from './convert-anthropic-usage';
import { anthropicErrorAsChat } from './anthropic-error';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason';
import { readAnthropicPlainEvent } from './read-anthropic-plain-event';
import { readAnthropicTextDelta } from './read-anthropic-text-delta';

type Out = ChatChunk | { error: ChatError };

/**
 * Anthropic stream events → canonical chunks
 * (https://docs.anthropic.com/en/docs/build-with-claude/streaming): `message_start` opens the
 * message (role chunk), `text_delta` is content, a `tool_use` block start is a tool call with its
 * id and name and each `input_json_delta` an argument delta of it, `message_delta` carries the
 * stop reason, and `message_stop` ends with the usage trailer (input from `message_start`,
 * output from `message_delta`). Thinking deltas, signatures and pings yield nothing.
 */
export function createAnthropicStreamTranscoder(ctx: { model: string; created: number }): StreamTranscoder {
  let id = 'msg';
  let model = ctx.model;
  const usage: AnthropicUsage = {};
  /** Anthropic content block index → OpenAI tool call index. */
  const tools = new Map<number, number>();
  let finished = false;
  let trailerSent = false;
  /** A text chunk's JSON up to its content (`chunk({content})`'s key order), made once `id` and `model` are known. */
  let textHead: string | null = null;

  const chunk = (delta: ChatChunkDelta, finish: ChatFinishReason | null = null): ChatChunk => ({
    id,
    object: 'chat.completion.chunk',
    created: ctx.created,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const trailer = (): ChatChunk => {
    trailerSent = true;
    return {
      id,
      object: 'chat.completion.chunk',
      created: ctx.created,
      model,
      choices: [],
      usage: convertAnthropicUsage(usage),
    };
  };
  const addUsage = (u: AnthropicUsage | undefined): void => {
    if (u === undefined) return;
    // message_delta's counts are cumulative: a later value replaces an earlier one.
    for (const key of [
      'input_tokens',
      'output_tokens',
      'cache_read_input_tokens',
      'cache_creation_input_tokens',
    ] as const) {
      const v = u[key];
      if (typeof v === 'number') usage[key] = v;
    }
  };

  return {
    pushJson(payload) {
      const text = readAnthropicTextDelta(payload);
      if (text === null) {
        const plain = readAnthropicPlainEvent(payload);
        if (plain === null) return null;
        // Pings, block stops and empty text block starts yield nothing; the stop yields the usage trailer.
        return plain !== 'message_stop' || trailerSent ? [] : [JSON.stringify(trailer())];
      }
      if (text === '') return [];
      textHead ??= `{"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${JSON.stringify(ctx.created)},"model":${JSON.stringify(model)},"choices":[{"index":0,"delta":{"content":`;
      return [`${textHead}${JSON.stringify(text)}},"finish_reason":null}]}`];
    },
    push(payload) {
      let json: unknown;
      try {
        json = JSON.parse(payload);
      } catch {
        return { ok: false, error: 'not JSON' };
      }
      const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
      const parsed = anthropicStreamEventSchema.safeParse(json);
      if (!parsed.success) {
        // An event type added after this adapter was written is not an error; a known one that is malformed is.
        const known = anthropicStreamEventSchema.options.some((o) => o.shape.type.value === type);
        return known || typeof type !== 'string'
          ? { ok: false, error: `malformed ${String(type)} event` }
          : { ok: true, value: [] };
      }
      const event = parsed.data;
      const out: Out[] = [];
      switch (event.type) {
        case 'message_start':
          textHead = null;
          if (typeof event.message.id === 'string') id = event.message.id;
          if (typeof event.message.model === 'string' && event.message.model !== '') model = event.message.model;
          addUsage(event.message.usage);
          out.push(chunk({ role: 'assistant', content: '' }));
          break;
        case 'content_block_start': {
          const block = event.content_block;
          if (block.type === 'tool_use') {
            const index = tools.size;
            tools.set(event.index, index);
            out.push(
              chunk({
                tool_calls: [
                  {
                    index,
                    id: String(block['id']),
                    type: 'function',
                    function: { name: String(block['name']), arguments: '' },
                  },
                ],
              }),
            );
          } else if (block.type === 'text' && typeof block['text'] === 'string' && block['text'] !== '')
            out.push(chunk({ content: block['text'] }));
          break;
        }
        case 'content_block_delta': {
          const delta = event.delta;
          if (delta.type === 'text_delta' && delta.text !== undefined && delta.text !== '')
            out.push(chunk({ content: delta.text }));
          else if (delta.type === 'input_json_delta' && delta.partial_json !== undefined && delta.partial_json !== '') {
            const index = tools.get(event.index);
            if (index !== undefined)
              out.push(chunk({ tool_calls: [{ index, function: { arguments: delta.partial_json } }] }));
          }
          break;
        }
        case 'message_delta':
          addUsage(event.usage);
          if (!finished) {
            finished = true;
            out.push(chunk({}, mapAnthropicStopReason(event.delta.stop_reason) ?? 'stop'));
          }
          break;
        case 'message_stop':
          if (!trailerSent) out.push(trailer());
          break;
        case 'error':
          out.push({ error: anthropicErrorAsChat(event.error.type, event.error.message) });
          break;
        default:
          break;
      }
      return { ok: true, value: out };
    },
    end() {
      return trailerSent || usage.input_tokens === undefined ? [] : [trailer()];
    },
  };
}
