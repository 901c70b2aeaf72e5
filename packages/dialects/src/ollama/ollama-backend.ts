import type { BackendDialect, BackendTarget, DialectError, Result, VendorRequest } from '../dialect';
import { embeddingsDialect } from '../embeddings-dialect';
import { passthroughByTranscoder } from '../passthrough-by-transcoder';
import { ok } from '../result';
import type { OllamaChatRequest } from './ollama-api';
import { ollamaEmbeddings } from './ollama-embeddings';
import { mapOllamaError } from './ollama-error';
import { ollamaModels } from './ollama-models';
import { createOllamaStreamTranscoder } from './ollama-stream-transcoder';
import { parseOllamaResponse } from './parse-ollama-response';
import { toOllamaRequest } from './to-ollama-request';

/** Ollama needs no key; one set on the provider goes as a Bearer token (an Ollama behind a proxy). */
const authHeaders = (apiKey: string | null): Record<string, string> =>
  apiKey === null ? {} : { authorization: `Bearer ${apiKey}` };

function vendorRequest(request: OllamaChatRequest, target: BackendTarget): VendorRequest {
  // Mid-stream continuation: the text so far as a final assistant message, which Ollama continues.
  if (target.prefill !== undefined) request.messages.push({ role: 'assistant', content: target.prefill });
  return { path: '/api/chat', headers: authHeaders(target.apiKey), body: JSON.stringify(request) };
}

/**
 * Ollama's native API as a backend (provider type `ollama`): `POST {endpoint}/api/chat`, streamed
 * as NDJSON (https://github.com/ollama/ollama/blob/main/docs/api.md#generate-a-chat-completion).
 */
export const ollamaBackend: BackendDialect = {
  name: 'ollama',
  streamFraming: 'ndjson',
  buildChat(body, target): Result<VendorRequest, DialectError> {
    const request = toOllamaRequest(body, target.model, target.stream);
    return request.ok ? ok(vendorRequest(request.value, target)) : request;
  },
  parseChat: parseOllamaResponse,
  createStreamTranscoder: createOllamaStreamTranscoder,
  mapError: (status, body) => mapOllamaError(status, body),
  authHeaders,
  models: ollamaModels,
  embeddings: embeddingsDialect(ollamaEmbeddings, authHeaders),
  passthrough: {
    buildRequest(clientBody, target) {
      // Ollama streams unless told otherwise: the flag is always set.
      const body = { ...clientBody, model: target.model, stream: target.stream } as unknown as OllamaChatRequest;
      return vendorRequest(body, target);
    },
    ...passthroughByTranscoder(
      { parseChat: parseOllamaResponse, createStreamTranscoder: createOllamaStreamTranscoder },
      (payload) => `${payload}\n`,
    ),
  },
};
