import type { ChatCompletion, ChatToolCall } from '../chat-types';
import type { Result } from '../dialect';
import { anthropicMessageSchema } from './anthropic-messages-api';
import { convertAnthropicUsage } from './convert-anthropic-usage';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason';

/**
 * A whole Anthropic message → a canonical chat completion. Text blocks make `content`, `tool_use`
 * blocks make `tool_calls` (arguments as JSON text); thinking blocks are left out: OpenAI's
 * `content` is the answer only (docs/providers.md).
 */
export function parseAnthropicMessage(
  text: string,
  ctx: { model: string; created: number },
): Result<ChatCompletion, string> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: 'the answer is not JSON' };
  }
  const parsed = anthropicMessageSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: 'the answer is not an Anthropic message' };
  const message = parsed.data;
  let content = '';
  const toolCalls: ChatToolCall[] = [];
  for (const block of message.content) {
    if (block.type === 'text' && typeof block['text'] === 'string') content += block['text'];
    else if (block.type === 'tool_use')
      toolCalls.push({
        id: String(block['id']),
        type: 'function',
        function: { name: String(block['name']), arguments: JSON.stringify(block['input'] ?? {}) },
      });
  }
  return {
    ok: true,
    value: {
      id: message.id,
      object: 'chat.completion',
      created: ctx.created,
      model: message.model === '' ? ctx.model : message.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: content === '' && toolCalls.length > 0 ? null : content,
            ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          },
          finish_reason: mapAnthropicStopReason(message.stop_reason) ?? 'stop',
        },
      ],
      usage: convertAnthropicUsage(message.usage),
    },
  };
}
