import type { ChatError } from '../chat-types';
import type { MappedError } from '../dialect';
import { anthropicErrorSchema } from './anthropic-messages-api';

/** Anthropic says a prompt is over the context window in an `invalid_request_error`'s message. */
const TOO_LONG = /prompt is too long|exceeds? (the )?(model'?s? )?(maximum )?context|context (window|length)/i;

/**
 * An Anthropic error answer (https://docs.anthropic.com/en/api/errors) → what the retry table
 * judges and what an OpenAI client sees. `overloaded_error` (HTTP 529) is a 503, so it is retried
 * and failed over like any 5xx; a too-long prompt is `context_length_exceeded` (the next entry
 * with a larger window serves); the rest keep their status and Anthropic's error type.
 */
export function mapAnthropicError(status: number, body: string): MappedError {
  let type = status >= 500 ? 'api_error' : 'invalid_request_error';
  let message = `HTTP ${status}`;
  try {
    const parsed = anthropicErrorSchema.safeParse(JSON.parse(body));
    if (parsed.success) {
      type = parsed.data.error.type;
      message = parsed.data.error.message;
    }
  } catch {
    // Not JSON (a proxy's HTML page): the status alone decides.
  }
  const error = anthropicErrorAsChat(type, message, status);
  const overloaded = error.code === 'overloaded';
  return { status: overloaded ? 503 : status, code: error.code ?? undefined, error };
}

/** An Anthropic error type and message (whole answer or a stream's `error` event) in the canonical shape. */
export function anthropicErrorAsChat(type: string, message: string, status = 0): ChatError {
  const overloaded = status === 529 || type === 'overloaded_error';
  const code = overloaded
    ? 'overloaded'
    : (status === 400 || type === 'invalid_request_error') && TOO_LONG.test(message)
      ? 'context_length_exceeded'
      : type;
  return { message, type: overloaded ? 'server_error' : type, code, param: null };
}

/** An OpenAI-shaped error (status, type, code) → Anthropic's error `type` for Anthropic clients. */
export function anthropicErrorType(status: number, error: Pick<ChatError, 'type' | 'code'>): string {
  if (error.code === 'overloaded' || status === 529) return 'overloaded_error';
  switch (status) {
    case 400:
    case 422:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
      return 'overloaded_error';
    case 504:
      return 'timeout_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}
