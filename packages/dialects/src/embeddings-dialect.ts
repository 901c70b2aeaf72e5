import type { BackendDialect } from './dialect';
import { embeddingList, estimateInputTokens, readEmbeddingInput, type EmbeddingInput } from './embeddings';
import { err, ok, parseJson } from './result';

/** What a vendor's embeddings API adds to the common reading of OpenAI's request and the vendor's answer. */
export interface EmbeddingsVendor {
  /** Named in the error when an answer is not one: `a Gemini`, `an Ollama`. */
  name: string;
  /** The vendor's request for the read input: its path and JSON body. */
  request(input: EmbeddingInput, model: string): { path: string; body: unknown };
  /**
   * The vectors of the vendor's answer, and the input tokens when the vendor counts them; null when
   * the JSON is not an answer. Usage is estimated from the input's length when it counts none.
   */
  read(json: unknown): { vectors: readonly (readonly number[])[]; promptTokens?: number | undefined } | null;
}

/**
 * A backend's `embeddings` from its vendor's specifics: every vendor reads OpenAI's request the same
 * way (one 400 for what it cannot take), and an answer with fewer or more vectors than inputs is
 * refused rather than misaligned with them.
 */
export function embeddingsDialect(
  vendor: EmbeddingsVendor,
  authHeaders: (apiKey: string | null) => Record<string, string>,
): NonNullable<BackendDialect['embeddings']> {
  return {
    build(body, target) {
      const input = readEmbeddingInput(body);
      if (!input.ok) return input;
      const request = vendor.request(input.value, target.model);
      return ok({ path: request.path, headers: authHeaders(target.apiKey), body: JSON.stringify(request.body) });
    },
    parse(text, body, ctx) {
      const input = readEmbeddingInput(body);
      const json = parseJson(text);
      const answer = json.ok ? vendor.read(json.value) : null;
      if (!input.ok || answer === null || answer.vectors.length !== input.value.texts.length)
        return err(`not ${vendor.name} embeddings answer`);
      const tokens = answer.promptTokens ?? estimateInputTokens(input.value.texts);
      return ok(embeddingList(answer.vectors, input.value, ctx.model, tokens));
    },
  };
}
