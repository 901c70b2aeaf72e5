import type { ServerResponse } from 'node:http';
import type { GatewayError } from '@aisbf/core';
import { formatAnthropicError } from '@aisbf/dialects';
import { openAiErrorBody, sendError } from './openai-error';
import type { ClientDialectName } from './parse-path';

/**
 * A refusal written before the request's dialect view exists (e.g. a per-minute limit, checked
 * before the body is read), in the caller's own error shape (docs/architecture.md "Dialects"):
 * Anthropic's `{"type":"error",…}` on `…/messages`, OpenAI's everywhere else (Responses uses it too).
 */
export function sendDialectError(
  res: ServerResponse,
  error: GatewayError,
  headers: Record<string, string>,
  client: ClientDialectName | undefined,
): void {
  if (client !== 'anthropic') return sendError(res, error, headers);
  const reply = formatAnthropicError(error.status, openAiErrorBody(error).error);
  const out: Record<string, string | number> = {
    ...headers,
    'content-type': reply.contentType,
    'content-length': Buffer.byteLength(reply.body),
  };
  if (error.retryAfterS !== undefined) out['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterS)));
  res.writeHead(reply.status, out);
  res.end(reply.body);
}
