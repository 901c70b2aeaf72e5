import type { EmbeddingList } from '../chat-types';
import type { DialectError, Result, VendorRequest } from '../dialect';
import { embeddingList, estimateInputTokens, readEmbeddingInput } from '../embeddings';
import { err, ok, parseJson } from '../result';
import { ollamaEmbedSchema } from './ollama-api';

/** OpenAI's embeddings request as Ollama's `/api/embed` (https://github.com/ollama/ollama/blob/main/docs/api.md#generate-embeddings). */
export function buildOllamaEmbeddings(
  body: Record<string, unknown>,
  model: string,
  headers: Record<string, string>,
): Result<VendorRequest, DialectError> {
  const input = readEmbeddingInput(body);
  if (!input.ok) return input;
  const texts = input.value.texts;
  const out = {
    model,
    input: texts.length === 1 ? texts[0] : texts,
    ...(input.value.dimensions !== undefined ? { dimensions: input.value.dimensions } : {}),
  };
  return ok({ path: '/api/embed', headers, body: JSON.stringify(out) });
}

/** Usage is Ollama's `prompt_eval_count`. */
export function parseOllamaEmbeddings(
  text: string,
  body: Record<string, unknown>,
  ctx: { model: string },
): Result<EmbeddingList, string> {
  const input = readEmbeddingInput(body);
  const json = parseJson(text);
  const parsed = json.ok ? ollamaEmbedSchema.safeParse(json.value) : null;
  if (!input.ok || parsed === null || !parsed.success || parsed.data.embeddings.length !== input.value.texts.length)
    return err('not an Ollama embeddings answer');
  const tokens = parsed.data.prompt_eval_count ?? estimateInputTokens(input.value.texts);
  return ok(embeddingList(parsed.data.embeddings, input.value, ctx.model, tokens));
}
