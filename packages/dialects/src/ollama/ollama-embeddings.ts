import type { EmbeddingsVendor } from '../embeddings-dialect';
import { ollamaEmbedSchema } from './ollama-api';

/**
 * OpenAI's embeddings request as Ollama's `/api/embed`
 * (https://github.com/ollama/ollama/blob/main/docs/api.md#generate-embeddings); usage is its
 * `prompt_eval_count`.
 */
export const ollamaEmbeddings: EmbeddingsVendor = {
  name: 'an Ollama',
  request: (input, model) => ({
    path: '/api/embed',
    body: {
      model,
      input: input.texts.length === 1 ? input.texts[0] : input.texts,
      ...(input.dimensions !== undefined ? { dimensions: input.dimensions } : {}),
    },
  }),
  read(json) {
    const parsed = ollamaEmbedSchema.safeParse(json);
    return parsed.success
      ? { vectors: parsed.data.embeddings, promptTokens: parsed.data.prompt_eval_count ?? undefined }
      : null;
  },
};
