import type { EmbeddingsVendor } from '../embeddings-dialect';
import { googleBatchEmbedSchema, googleEmbedSchema } from './google-api';

const bare = (model: string): string => model.replace(/^models\//, '');

/**
 * OpenAI's embeddings request as Gemini's (https://ai.google.dev/api/embeddings): one text to
 * `embedContent`, several to `batchEmbedContents`; `dimensions` is `outputDimensionality`. Gemini
 * counts no tokens for embeddings: usage is estimated from the input's length (docs/providers.md).
 */
export const googleEmbeddings: EmbeddingsVendor = {
  name: 'a Gemini',
  request(input, model) {
    const one = (text: string) => ({
      model: `models/${bare(model)}`,
      content: { parts: [{ text }] },
      ...(input.dimensions !== undefined ? { outputDimensionality: input.dimensions } : {}),
    });
    const base = `/v1beta/models/${encodeURIComponent(bare(model))}`;
    return input.texts.length === 1
      ? { path: `${base}:embedContent`, body: one(input.texts[0]!) }
      : { path: `${base}:batchEmbedContents`, body: { requests: input.texts.map(one) } };
  },
  read(json) {
    const batch = googleBatchEmbedSchema.safeParse(json);
    if (batch.success) return { vectors: batch.data.embeddings.map((e) => e.values) };
    const single = googleEmbedSchema.safeParse(json);
    return single.success ? { vectors: [single.data.embedding.values] } : null;
  },
};
