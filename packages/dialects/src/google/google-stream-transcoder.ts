import type { ChatChunk, ChatError, ChatUsage } from '../chat-types';
import { createChunkWriter, type AnswerContext } from '../chunk-writer';
import type { StreamTranscoder } from '../dialect';
import { err, ok, parseJson } from '../result';
import { googleErrorSchema, googleResponseSchema } from './google-api';
import { convertGoogleUsage } from './convert-google-usage';
import { googleErrorAsChat } from './google-error';
import { candidateParts, googleAnswerId, googleToolCallId } from './parse-google-response';
import { mapGoogleFinishReason } from './map-google-finish-reason';

type Out = ReturnType<ReturnType<typeof createChunkWriter>['text']> | { error: ChatError };

/**
 * `streamGenerateContent?alt=sse` events as canonical chunks. Each event is a partial
 * GenerateContentResponse: text arrives in pieces, a function call arrives whole (its arguments
 * become one argument delta, valid JSON on its own), `usageMetadata` is cumulative (the last one
 * counts, sent as the usage trailer at the end) and the final event carries `finishReason`.
 */
export function createGoogleStreamTranscoder(ctx: { model: string; created: number }): StreamTranscoder {
  const context: AnswerContext = { id: '', created: ctx.created, model: ctx.model };
  const write = createChunkWriter(context);
  const callsSoFar = new Map<number, number>();
  const finished = new Set<number>();
  let usage: ChatUsage | null = null;
  /** The usage trailer, once: after the last event, or at the end of a stream that had no last event. */
  const trailer = (): ChatChunk[] => {
    if (usage === null) return [];
    const chunk = write.usage(usage);
    usage = null;
    return [chunk];
  };
  return {
    push(payload) {
      const json = parseJson(payload);
      if (!json.ok) return json;
      const failure = googleErrorSchema.safeParse(json.value);
      if (failure.success) return ok([{ error: googleErrorAsChat(failure.data.error) }]);
      const parsed = googleResponseSchema.safeParse(json.value);
      if (!parsed.success) return err('not a GenerateContentResponse');
      const event = parsed.data;
      if (context.id === '') context.id = googleAnswerId(event, ctx.created);
      if (event.usageMetadata !== undefined) usage = convertGoogleUsage(event.usageMetadata);
      const out: Out[] = [];
      const candidates = event.candidates ?? [];
      // A prompt blocked by safety settings has no candidate, only promptFeedback.blockReason.
      if (candidates.length === 0 && event.promptFeedback?.blockReason !== undefined)
        out.push(write.finish(0, 'content_filter'));
      for (const [i, candidate] of candidates.entries()) {
        const index = candidate.index ?? i;
        const { text, calls } = candidateParts(candidate);
        if (text !== '') out.push(write.text(index, text));
        if (calls.length > 0) {
          const before = callsSoFar.get(index) ?? 0;
          callsSoFar.set(index, before + calls.length);
          out.push(
            write.toolCalls(
              index,
              calls.map((call, n) => ({
                index: before + n,
                id: call.id ?? googleToolCallId(context.id, index, before + n),
                type: 'function',
                function: { name: call.name, arguments: JSON.stringify(call.args) },
              })),
            ),
          );
        }
        if (candidate.finishReason !== undefined && !finished.has(index)) {
          finished.add(index);
          out.push(
            write.finish(index, mapGoogleFinishReason(candidate.finishReason, (callsSoFar.get(index) ?? 0) > 0)),
          );
        }
      }
      // The event that finished every candidate is the last one: the usage trailer goes with it.
      if (finished.size > 0 && candidates.length > 0 && candidates.every((c, i) => finished.has(c.index ?? i)))
        out.push(...trailer());
      return ok(out);
    },
    end: trailer,
  };
}
