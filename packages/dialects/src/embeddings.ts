import { err, ok } from './result';
import type { EmbeddingList } from './chat-types';
import type { DialectError, Result } from './dialect';

/** An OpenAI embeddings request (https://platform.openai.com/docs/api-reference/embeddings/create), read. */
export interface EmbeddingInput {
  texts: string[];
  dimensions?: number;
  /** `encoding_format: "base64"` (the openai SDKs ask for it by default): little-endian float32s. */
  base64: boolean;
}

/** Token arrays are OpenAI-only (other backends tokenize themselves): a clear 400 for them. */
export function readEmbeddingInput(body: Record<string, unknown>): Result<EmbeddingInput, DialectError> {
  const input = body['input'];
  const texts = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(texts) || texts.length === 0 || !texts.every((t) => typeof t === 'string'))
    return err({ message: 'input must be a string or a non-empty array of strings for this backend', param: 'input' });
  const out: EmbeddingInput = { texts, base64: body['encoding_format'] === 'base64' };
  const dimensions = body['dimensions'];
  if (dimensions !== undefined && dimensions !== null) {
    if (typeof dimensions !== 'number' || !Number.isInteger(dimensions) || dimensions <= 0)
      return err({ message: 'dimensions must be a positive integer', param: 'dimensions' });
    out.dimensions = dimensions;
  }
  return ok(out);
}

function toBase64(vector: readonly number[]): string {
  const bytes = new Uint8Array(Float32Array.from(vector).buffer);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function embeddingList(
  vectors: readonly (readonly number[])[],
  input: EmbeddingInput,
  model: string,
  promptTokens: number,
): EmbeddingList {
  return {
    object: 'list',
    data: vectors.map((v, index) => ({
      object: 'embedding',
      index,
      embedding: input.base64 ? toBase64(v) : [...v],
    })),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

/** About four characters a token, for backends that do not count embedding input. */
export const estimateInputTokens = (texts: readonly string[]): number =>
  texts.reduce((sum, t) => sum + Math.ceil(t.length / 4), 0);
