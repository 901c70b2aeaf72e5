import type { MappedError } from './dialect';

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
};

/** A vendor's error in OpenAI's shape (https://platform.openai.com/docs/guides/error-codes), its words kept. */
export function mappedError(status: number, message: string, code: string | null = null): MappedError {
  const type = TYPES[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
  return { status, code: code ?? undefined, error: { message, type, code, param: null } };
}

/** How vendors word a prompt longer than the model's window (the retry table's special 400). */
export const CONTEXT_TOO_LONG =
  /context (length|window)|exceeds the maximum number of tokens|too many tokens|prompt is too long/i;
