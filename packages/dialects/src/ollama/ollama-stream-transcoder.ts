import type { ChatError } from '../chat-types';
import { createChunkWriter, type AnswerContext } from '../chunk-writer';
import type { StreamTranscoder } from '../dialect';
import { mappedError } from '../mapped-error';
import { err, ok, parseJson } from '../result';
import { ollamaChatSchema, ollamaErrorSchema } from './ollama-api';
import { convertOllamaUsage, mapOllamaDoneReason, ollamaAnswerId, ollamaToolCalls } from './parse-ollama-response';

type Out = ReturnType<ReturnType<typeof createChunkWriter>['text']> | { error: ChatError };

/**
 * `/api/chat` NDJSON lines as canonical chunks: each line's `message.content` is a text delta,
 * tool calls arrive whole (one argument delta each, valid JSON on its own), and the `done: true`
 * line carries the finish reason and the counts (sent as the usage trailer at the end).
 */
export function createOllamaStreamTranscoder(ctx: { model: string; created: number }): StreamTranscoder {
  const context: AnswerContext = { id: '', created: ctx.created, model: ctx.model };
  const write = createChunkWriter(context);
  let calls = 0;
  let ended = false;
  return {
    push(payload) {
      const json = parseJson(payload);
      if (!json.ok) return json;
      const failure = ollamaErrorSchema.safeParse(json.value);
      // Ollama reports a failure after the stream started as one `{"error": …}` line.
      if (failure.success) return ok([{ error: mappedError(500, failure.data.error).error }]);
      const parsed = ollamaChatSchema.safeParse(json.value);
      if (!parsed.success) return err('not an Ollama chat line');
      const line = parsed.data;
      if (ended) return ok([]);
      if (context.id === '') context.id = ollamaAnswerId(line, ctx.created);
      const out: Out[] = [];
      const text = line.message?.content ?? '';
      if (text !== '') out.push(write.text(0, text));
      const made = ollamaToolCalls(line, context.id, calls);
      if (made.length > 0) {
        out.push(
          write.toolCalls(
            0,
            made.map((call, n) => ({ index: calls + n, ...call })),
          ),
        );
        calls += made.length;
      }
      if (line.done) {
        // The last line: the answer is whole, its usage trailer goes now.
        out.push(write.finish(0, mapOllamaDoneReason(line.done_reason, calls > 0)));
        out.push(write.usage(convertOllamaUsage(line)));
        ended = true;
      }
      return ok(out);
    },
    end() {
      return [];
    },
  };
}
