import type { ChatUsage } from './chat-types';
import type { PassthroughFacts, PassthroughReader, StreamTranscoder } from './dialect';

/** Canonical usage as the facts the core keeps. */
export const usageFacts = (usage: ChatUsage | undefined): PassthroughFacts['usage'] =>
  usage === undefined
    ? null
    : {
        prompt: usage.prompt_tokens,
        completion: usage.completion_tokens,
        cached: usage.prompt_tokens_details?.cached_tokens ?? 0,
      };

/**
 * A pass-through reader for a vendor whose events the core can only understand by transcoding
 * them (no client speaks Gemini or Ollama to aisbf yet): the facts are read off the canonical
 * chunks, the payload itself is forwarded as the vendor framed it.
 */
export function passthroughByTranscoder(
  transcoder: StreamTranscoder,
  frame: (payload: string) => string,
): PassthroughReader {
  return {
    frame,
    read(payload) {
      const chunks = transcoder.push(payload);
      if (!chunks.ok) return null;
      const facts: PassthroughFacts = { text: '', hasContent: false, usage: null, error: null, done: false };
      for (const chunk of chunks.value) {
        if ('error' in chunk) {
          facts.error = chunk.error;
          continue;
        }
        if (chunk.usage) {
          facts.usage = usageFacts(chunk.usage);
          facts.done = true;
        }
        for (const choice of chunk.choices) {
          if (choice.delta.content) facts.text += choice.delta.content;
          if (choice.delta.content || choice.delta.tool_calls || choice.finish_reason !== null) facts.hasContent = true;
        }
      }
      return facts;
    },
  };
}
