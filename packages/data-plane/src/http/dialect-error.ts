import type { ServerResponse } from 'node:http';
import type { GatewayError } from '@aisbf/core';
import { formatAnthropicError } from '@aisbf/dialects';
import { openAiErrorBody, sendError } from './openai-error';
import type { ClientDialectName } from './parse-path';

/**
 * A refusal in the caller's own error shape (docs/clients.md "Errors in Anthropic's shape"),
 * written on the client's own response (before, or instead of, a dialect view): Anthropic's
 * `{"type":"error",…}` for Anthropic clients (see `errorDialectOf`), OpenAI's everywhere else
 * (Responses uses it too). Status and `Retry-After` are the same either way.
 */
export function sendDialectError(
  res: ServerResponse,
  error: GatewayError,
  headers: Record<string, string>,
  client: ClientDialectName | null | undefined,
): void {
  if (client !== 'anthropic') return sendError(res, error, headers);
  if (res.headersSent) {
    res.destroy();
    return;
  }
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
