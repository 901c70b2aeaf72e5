import type { EmbeddingList } from '../chat-types';
import type { DialectError, Result, VendorRequest } from '../dialect';
import { embeddingList, estimateInputTokens, readEmbeddingInput } from '../embeddings';
import { err, ok, parseJson } from '../result';
import { googleBatchEmbedSchema, googleEmbedSchema } from './google-api';

const bare = (model: string): string => model.replace(/^models\//, '');

/**
 * OpenAI's embeddings request as Gemini's (https://ai.google.dev/api/embeddings): one text to
 * `embedContent`, several to `batchEmbedContents`; `dimensions` is `outputDimensionality`.
 */
export function buildGoogleEmbeddings(
  body: Record<string, unknown>,
  model: string,
  headers: Record<string, string>,
): Result<VendorRequest, DialectError> {
  const input = readEmbeddingInput(body);
  if (!input.ok) return input;
  const one = (text: string) => ({
    model: `models/${bare(model)}`,
    content: { parts: [{ text }] },
    ...(input.value.dimensions !== undefined ? { outputDimensionality: input.value.dimensions } : {}),
  });
  const base = `/v1beta/models/${encodeURIComponent(bare(model))}`;
  const texts = input.value.texts;
  return ok(
    texts.length === 1
      ? { path: `${base}:embedContent`, headers, body: JSON.stringify(one(texts[0]!)) }
      : { path: `${base}:batchEmbedContents`, headers, body: JSON.stringify({ requests: texts.map(one) }) },
  );
}

/** Gemini counts no tokens for embeddings: usage is estimated from the input's length (docs/providers.md). */
export function parseGoogleEmbeddings(
  text: string,
  body: Record<string, unknown>,
  ctx: { model: string },
): Result<EmbeddingList, string> {
  const input = readEmbeddingInput(body);
  const json = parseJson(text);
  if (!input.ok || !json.ok) return err('not a Gemini embeddings answer');
  const batch = googleBatchEmbedSchema.safeParse(json.value);
  const single = googleEmbedSchema.safeParse(json.value);
  const vectors = batch.success
    ? batch.data.embeddings.map((e) => e.values)
    : single.success
      ? [single.data.embedding.values]
      : null;
  if (vectors === null || vectors.length !== input.value.texts.length) return err('not a Gemini embeddings answer');
  return ok(embeddingList(vectors, input.value, ctx.model, estimateInputTokens(input.value.texts)));
}
