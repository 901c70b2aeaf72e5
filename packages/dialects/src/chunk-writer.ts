import type { ChatChunk, ChatChunkDelta, ChatFinishReason, ChatToolCallDelta, ChatUsage } from './chat-types';

/** What every chunk of one answer repeats: its id, `created` and `model`. */
export interface AnswerContext {
  id: string;
  created: number;
  model: string;
}

/**
 * Builds the canonical chunks of one answer; the first chunk of each choice carries the role.
 * `id` may be set once the vendor's first event named the answer (before any chunk is written).
 */
export function createChunkWriter(context: AnswerContext) {
  const started = new Set<number>();
  const chunk = (index: number, delta: ChatChunkDelta, finish: ChatFinishReason | null): ChatChunk => {
    if (!started.has(index)) {
      started.add(index);
      delta = { role: 'assistant', ...delta };
    }
    return {
      id: context.id,
      object: 'chat.completion.chunk',
      created: context.created,
      model: context.model,
      choices: [{ index, delta, finish_reason: finish }],
    };
  };
  return {
    context,
    text: (index: number, content: string) => chunk(index, { content }, null),
    toolCalls: (index: number, calls: ChatToolCallDelta[]) => chunk(index, { tool_calls: calls }, null),
    finish: (index: number, reason: ChatFinishReason) => chunk(index, {}, reason),
    usage: (usage: ChatUsage): ChatChunk => ({
      id: context.id,
      object: 'chat.completion.chunk',
      created: context.created,
      model: context.model,
      choices: [],
      usage,
    }),
  };
}
