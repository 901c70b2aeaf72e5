import type { ServerResponse } from 'node:http';
import { GatewayError } from '@aisbf/core';
import {
  anthropicToChat,
  chatToAnthropicMessage,
  createAnthropicStreamEncoder,
  formatAnthropicError,
  type ChatRequest,
  type Result,
} from '@aisbf/dialects';
import { transcodingResponse, type ClientCodec } from './transcoding-response';

/**
 * An Anthropic Messages request (`POST …/messages`, docs/clients.md): its canonical chat request,
 * and the view of `res` on which the proxy's canonical answer, stream or error reaches the client
 * as an Anthropic message, event stream or `{"type":"error",…}`.
 */
export function prepareAnthropicTurn(
  body: unknown,
  res: ServerResponse,
): { res: ServerResponse; chat: Result<ChatRequest, GatewayError> } {
  const chat = anthropicToChat(body);
  const model = chat.ok ? chat.value.model : '';
  const codec: ClientCodec = {
    fromCanonical: (completion) => chatToAnthropicMessage(completion, model),
    createStreamEncoder: () => createAnthropicStreamEncoder(model),
    formatError: formatAnthropicError,
  };
  // Refusals too reach the client in Anthropic's shape: the view rewrites every canonical error.
  const view = transcodingResponse(res, codec, () => undefined);
  if (!chat.ok) return { res: view, chat: { ok: false, error: new GatewayError('BAD_REQUEST', chat.error.message) } };
  return { res: view, chat: { ok: true, value: chat.value } };
}
