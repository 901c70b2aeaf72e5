import type { ChatCompletion, ChatToolCall } from './chat-types';

/**
 * A whole answer's text and tool calls as OpenAI's assistant message: `content` is null when the
 * model only called tools (as OpenAI sends it), `tool_calls` is there only when there are some, and
 * `refusal` is null: no backend aisbf translates reports a refusal apart from the text.
 */
export function assistantMessage(
  text: string,
  toolCalls: ChatToolCall[],
): ChatCompletion['choices'][number]['message'] {
  return {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    refusal: null,
  };
}
