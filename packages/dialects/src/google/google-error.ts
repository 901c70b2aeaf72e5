import type { ChatError } from '../chat-types';
import type { MappedError } from '../dialect';
import { CONTEXT_TOO_LONG, mappedError } from '../mapped-error';
import { parseJsonAs } from '../result';
import { googleErrorSchema } from './google-api';

/** google.rpc status names (https://ai.google.dev/gemini-api/docs/troubleshooting) as HTTP statuses. */
const BY_STATUS: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  UNKNOWN: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

interface GoogleErrorBody {
  code?: number | undefined;
  message?: string | undefined;
  status?: string | undefined;
}

function mapGoogle(httpStatus: number, error: GoogleErrorBody, raw: string): MappedError {
  const message = error.message ?? `Gemini API answered ${error.status ?? `HTTP ${httpStatus}`}`;
  // A bad key is 400 INVALID_ARGUMENT with reason API_KEY_INVALID: the entry's fault, not the
  // client's, so it counts as a 401 (flagged, next entry) rather than the client's 400.
  if (raw.includes('API_KEY_INVALID')) return mappedError(401, message, 'invalid_api_key');
  const status = (error.status !== undefined ? BY_STATUS[error.status] : undefined) ?? httpStatus;
  if (status === 400 && CONTEXT_TOO_LONG.test(message)) return mappedError(400, message, 'context_length_exceeded');
  if (status === 429) return mappedError(429, message, 'rate_limit_exceeded');
  if (status === 404) return mappedError(404, message, 'model_not_found');
  return mappedError(status, message, error.status?.toLowerCase() ?? null);
}

/**
 * A Gemini error answer (`{"error":{"code","message","status"}}`) as the retry table judges it:
 * RESOURCE_EXHAUSTED is a 429, UNAVAILABLE a 503, INVALID_ARGUMENT the client's 400.
 */
export function mapGoogleError(httpStatus: number, body: string): MappedError {
  const parsed = parseJsonAs(body, googleErrorSchema);
  if (parsed === null) return mappedError(httpStatus, `Gemini API answered HTTP ${httpStatus}`);
  return mapGoogle(httpStatus, parsed.error, body);
}

/** An error event inside a stream, in the canonical shape. */
export function googleErrorAsChat(error: GoogleErrorBody): ChatError {
  return mapGoogle(error.code ?? 500, error, '').error;
}
