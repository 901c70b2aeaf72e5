import { err, ok } from '../result';
import type { DialectError, Result } from '../dialect';
import type { ChatRequest } from '../chat-types';
import { readChatPrompt } from '../read-chat-prompt';
import { readChatTools } from '../read-chat-tools';
import { readSampling, type Sampling } from '../read-sampling';
import type { OllamaChatRequest, OllamaOptions } from './ollama-api';
import { convertToOllamaMessages } from './convert-to-ollama-messages';

function options(s: Sampling): OllamaOptions {
  const o: OllamaOptions = {};
  if (s.temperature !== undefined) o.temperature = s.temperature;
  if (s.topP !== undefined) o.top_p = s.topP;
  if (s.topK !== undefined) o.top_k = s.topK;
  if (s.maxTokens !== undefined) o.num_predict = s.maxTokens;
  if (s.stop !== undefined) o.stop = s.stop;
  if (s.seed !== undefined) o.seed = s.seed;
  if (s.presencePenalty !== undefined) o.presence_penalty = s.presencePenalty;
  if (s.frequencyPenalty !== undefined) o.frequency_penalty = s.frequencyPenalty;
  return o;
}

/**
 * An OpenAI Chat request as an Ollama `/api/chat` body. Sampling fields go to `options`, JSON mode
 * to `format`; `tool_choice: "none"` sends no tools (Ollama has no tool choice; other choices are
 * dropped). Fields with no Ollama equivalent are dropped (docs/providers.md); `n` > 1 is refused.
 */
export function toOllamaRequest(
  body: ChatRequest,
  model: string,
  stream: boolean,
): Result<OllamaChatRequest, DialectError> {
  const prompt = readChatPrompt(Array.isArray(body['messages']) ? body['messages'] : []);
  if (!prompt.ok) return prompt;
  const messages = convertToOllamaMessages(prompt.value);
  if (!messages.ok) return messages;
  const tools = readChatTools(body);
  if (!tools.ok) return tools;
  const sampling = readSampling(body);
  if (!sampling.ok) return sampling;
  if (sampling.value.n !== undefined && sampling.value.n > 1)
    return err({ message: 'n > 1 is not supported by this backend (Ollama answers one choice)', param: 'n' });
  const request: OllamaChatRequest = { model, messages: messages.value, stream };
  if (tools.value.tools.length > 0 && tools.value.choice?.kind !== 'none')
    request.tools = tools.value.tools.map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        ...(t.description !== undefined ? { description: t.description } : {}),
        ...(t.parameters !== undefined ? { parameters: t.parameters } : {}),
      },
    }));
  const json = sampling.value.json;
  if (json !== undefined) request.format = json.schema ?? 'json';
  const o = options(sampling.value);
  if (Object.keys(o).length > 0) request.options = o;
  return ok(request);
}
