import type { MappedError } from '../dialect';
import { CONTEXT_TOO_LONG, mappedError } from '../mapped-error';
import { parseJsonAs } from '../result';
import { ollamaErrorSchema } from './ollama-api';

/**
 * Ollama's `{"error": "…"}` answers (https://github.com/ollama/ollama/blob/main/docs/api.md#errors):
 * the HTTP status is kept (404: the model is not pulled there, so the next entry serves).
 */
export function mapOllamaError(httpStatus: number, body: string): MappedError {
  const message = parseJsonAs(body, ollamaErrorSchema)?.error ?? `Ollama answered HTTP ${httpStatus}`;
  if (httpStatus === 404) return mappedError(404, message, 'model_not_found');
  if (httpStatus === 400 && CONTEXT_TOO_LONG.test(message)) return mappedError(400, message, 'context_length_exceeded');
  return mappedError(httpStatus, message);
}
