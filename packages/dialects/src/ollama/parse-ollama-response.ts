import type { ChatCompletion, ChatFinishReason, ChatToolCall, ChatUsage } from '../chat-types';
import { assistantMessage } from '../assistant-message';
import type { Result } from '../dialect';
import { err, ok, parseJsonAs } from '../result';
import { ollamaChatSchema, type OllamaChatAnswer } from './ollama-api';

/** Ollama names no answer: its id is made of the time Ollama stamped on it (`created_at`). */
export const ollamaAnswerId = (answer: OllamaChatAnswer, created: number): string =>
  `chatcmpl-ollama-${answer.created_at?.replace(/\D/g, '') ?? created}`;

const toolCallId = (answerId: string, n: number): string => `call_${answerId.replace(/^chatcmpl-/, '')}_${n}`;

/** `done_reason` (`stop`, `length`, `load`, …); a turn that made tool calls finishes with `tool_calls`. */
export function mapOllamaDoneReason(reason: string | undefined, madeToolCalls: boolean): ChatFinishReason {
  if (madeToolCalls) return 'tool_calls';
  return reason === 'length' ? 'length' : 'stop';
}

/** `prompt_eval_count` / `eval_count` as usage (Ollama omits the first when the whole prompt was cached). */
export function convertOllamaUsage(answer: OllamaChatAnswer): ChatUsage {
  const prompt = answer.prompt_eval_count ?? 0;
  const completion = answer.eval_count ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** Tool calls of one answer or line, numbered from `first` (a stream's earlier lines made the others). */
export function ollamaToolCalls(answer: OllamaChatAnswer, answerId: string, first: number): ChatToolCall[] {
  return (answer.message?.tool_calls ?? []).map((call, n) => ({
    id: call.id ?? toolCallId(answerId, first + n),
    type: 'function',
    function: { name: call.function.name, arguments: JSON.stringify(call.function.arguments ?? {}) },
  }));
}

/** A whole `/api/chat` answer (`stream: false`) as a canonical `chat.completion`; `thinking` is left out. */
export function parseOllamaResponse(
  text: string,
  ctx: { model: string; created: number },
): Result<ChatCompletion, string> {
  const answer = parseJsonAs(text, ollamaChatSchema);
  if (answer === null) return err('not an Ollama chat answer');
  const id = ollamaAnswerId(answer, ctx.created);
  const toolCalls = ollamaToolCalls(answer, id, 0);
  return ok({
    id,
    object: 'chat.completion',
    created: ctx.created,
    model: ctx.model,
    choices: [
      {
        index: 0,
        message: assistantMessage(answer.message?.content ?? '', toolCalls),
        finish_reason: mapOllamaDoneReason(answer.done_reason, toolCalls.length > 0),
      },
    ],
    usage: convertOllamaUsage(answer),
  });
}
