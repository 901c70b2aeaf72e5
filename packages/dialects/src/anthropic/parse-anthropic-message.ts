import type { ChatCompletion, ChatToolCall } from '../chat-types';
import { assistantMessage } from '../assistant-message';
import type { Result } from '../dialect';
import { err, ok, parseJsonAs } from '../result';
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
  const message = parseJsonAs(text, anthropicMessageSchema);
  if (message === null) return err('not an Anthropic message');
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
  return ok({
    id: message.id,
    object: 'chat.completion',
    created: ctx.created,
    model: message.model === '' ? ctx.model : message.model,
    choices: [
      {
        index: 0,
        message: assistantMessage(content, toolCalls),
        finish_reason: mapAnthropicStopReason(message.stop_reason) ?? 'stop',
      },
    ],
    usage: convertAnthropicUsage(message.usage),
  });
}
