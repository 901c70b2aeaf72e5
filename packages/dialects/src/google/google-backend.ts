import type { BackendDialect, BackendTarget, DialectError, Result, VendorRequest } from '../dialect';
import { embeddingsDialect } from '../embeddings-dialect';
import { passthroughByTranscoder } from '../passthrough-by-transcoder';
import { ok } from '../result';
import type { GoogleRequest } from './google-api';
import { googleEmbeddings } from './google-embeddings';
import { mapGoogleError } from './google-error';
import { googleModels } from './google-models';
import { createGoogleStreamTranscoder } from './google-stream-transcoder';
import { parseGoogleResponse } from './parse-google-response';
import { googleChatPath, toGoogleRequest } from './to-google-request';

const authHeaders = (apiKey: string | null): Record<string, string> =>
  apiKey === null ? {} : { 'x-goog-api-key': apiKey };

function vendorRequest(request: GoogleRequest, target: BackendTarget): VendorRequest {
  // Mid-stream continuation: the text so far as a final model turn, which Gemini continues.
  if (target.prefill !== undefined) request.contents.push({ role: 'model', parts: [{ text: target.prefill }] });
  return {
    path: googleChatPath(target.model, target.stream),
    headers: authHeaders(target.apiKey),
    body: JSON.stringify(request),
  };
}

/**
 * The Gemini API as a backend (provider type `google`, alias `gemini`):
 * `POST {endpoint}/v1beta/models/{model}:generateContent`, or `:streamGenerateContent?alt=sse`,
 * key in `x-goog-api-key` (https://ai.google.dev/api/generate-content).
 */
export const googleBackend: BackendDialect = {
  name: 'google',
  streamFraming: 'sse',
  buildChat(body, target): Result<VendorRequest, DialectError> {
    const request = toGoogleRequest(body);
    return request.ok ? ok(vendorRequest(request.value, target)) : request;
  },
  parseChat: parseGoogleResponse,
  createStreamTranscoder: createGoogleStreamTranscoder,
  mapError: (status, body) => mapGoogleError(status, body),
  authHeaders,
  models: googleModels,
  embeddings: embeddingsDialect(googleEmbeddings, authHeaders),
  passthrough: {
    buildRequest(clientBody, target) {
      const { model: _model, ...body } = clientBody;
      return vendorRequest(body as unknown as GoogleRequest, target);
    },
    ...passthroughByTranscoder(
      { parseChat: parseGoogleResponse, createStreamTranscoder: createGoogleStreamTranscoder },
      (payload) => `data: ${payload}\r\n\r\n`,
    ),
  },
};
