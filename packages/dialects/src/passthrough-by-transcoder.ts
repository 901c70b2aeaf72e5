import type { ChatUsage } from './chat-types';
import type { BackendDialect, PassthroughFacts, PassthroughReader, StreamTranscoder } from './dialect';

/** Canonical usage as the facts the core keeps. */
const usageFacts = (usage: ChatUsage | undefined): PassthroughFacts['usage'] =>
  usage === undefined
    ? null
    : {
        prompt: usage.prompt_tokens,
        completion: usage.completion_tokens,
        cached: usage.prompt_tokens_details?.cached_tokens ?? 0,
      };

/**
 * Pass-through for a vendor whose events the core can only understand by transcoding them (no
 * client speaks Gemini or Ollama to aisbf yet): the facts are read off the canonical chunks of the
 * dialect's own transcoder and parser, the payload itself is forwarded as the vendor framed it.
 */
export function passthroughByTranscoder(
  chat: Pick<BackendDialect, 'parseChat' | 'createStreamTranscoder'>,
  frame: (payload: string) => string,
): Pick<BackendDialect['passthrough'], 'createReader' | 'usageOf'> {
  // Pass-through answers are forwarded untouched: the model and time stamped on the canonical ones are never seen.
  const unseen = { model: '', created: 0 };
  return {
    createReader: () => readerOf(chat.createStreamTranscoder(unseen), frame),
    usageOf(text) {
      const answer = chat.parseChat(text, unseen);
      return answer.ok ? usageFacts(answer.value.usage) : null;
    },
  };
}

function readerOf(transcoder: StreamTranscoder, frame: (payload: string) => string): PassthroughReader {
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
