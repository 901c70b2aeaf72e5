import { err, ok } from '../result';
import type { DialectError, Result } from '../dialect';
import type { PromptMessage } from '../read-chat-prompt';
import type { OllamaMessage } from './ollama-api';

/**
 * OpenAI messages as `/api/chat` messages. Ollama takes roles as OpenAI does; images only as
 * base64 (it fetches no URL, and neither does aisbf on a client's behalf), tool call arguments as
 * objects, and a tool result names its function in `tool_name`.
 */
export function convertToOllamaMessages(prompt: readonly PromptMessage[]): Result<OllamaMessage[], DialectError> {
  const out: OllamaMessage[] = [];
  for (const [i, message] of prompt.entries()) {
    switch (message.role) {
      case 'system':
        out.push({ role: 'system', content: message.text });
        break;
      case 'user': {
        let content = '';
        const images: string[] = [];
        for (const [j, part] of message.parts.entries()) {
          if (part.type === 'text') content += part.text;
          else if (part.inline !== null) images.push(part.inline.base64);
          else
            return err({
              message: `messages[${i}].content[${j}]: this backend takes images only as data: URLs (base64)`,
              param: `messages[${i}].content[${j}].image_url.url`,
            });
        }
        out.push({ role: 'user', content, ...(images.length > 0 ? { images } : {}) });
        break;
      }
      case 'assistant':
        out.push({
          role: 'assistant',
          content: message.text,
          ...(message.toolCalls.length > 0
            ? { tool_calls: message.toolCalls.map((c) => ({ function: { name: c.name, arguments: c.args } })) }
            : {}),
        });
        break;
      case 'tool':
        out.push({ role: 'tool', content: message.text, tool_name: message.name });
        break;
    }
  }
  return ok(out);
}
