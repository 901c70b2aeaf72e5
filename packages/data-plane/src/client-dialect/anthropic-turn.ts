import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { GatewayError } from '@aisbf/core';
import {
  anthropicToChat,
  chatToAnthropicMessage,
  createAnthropicStreamEncoder,
  formatAnthropicError,
  type ChatRequest,
  type Result,
} from '@aisbf/dialects';
import type { ProxyCall } from '../proxy/proxy-call';
import { transcodingResponse, type ClientCodec } from './transcoding-response';

/**
 * An Anthropic Messages request (`POST …/messages`, docs/clients.md): its canonical chat request,
 * the view of `res` on which the proxy's canonical answer, stream or error reaches the client
 * as an Anthropic message, event stream or `{"type":"error",…}`, and what an `anthropic` entry
 * needs to serve it by pass-through (the client's body and headers, its own response).
 */
export function prepareAnthropicTurn(
  body: unknown,
  headers: IncomingHttpHeaders,
  res: ServerResponse,
): { res: ServerResponse; chat: Result<ChatRequest, GatewayError>; client: NonNullable<ProxyCall['client']> } {
  const chat = anthropicToChat(body);
  const model = chat.ok ? chat.value.model : '';
  const codec: ClientCodec = {
    fromCanonical: (completion) => chatToAnthropicMessage(completion, model),
    createStreamEncoder: () => createAnthropicStreamEncoder(model),
    formatError: formatAnthropicError,
  };
  // Refusals too reach the client in Anthropic's shape: the view rewrites every canonical error.
  const view = transcodingResponse(res, codec, () => undefined);
  const client: NonNullable<ProxyCall['client']> = {
    dialect: 'anthropic',
    body: body as Record<string, unknown>,
    headers,
    passthrough: {
      res,
      streamError: (message) =>
        createAnthropicStreamEncoder(model).error({
          message,
          type: 'upstream_error',
          code: 'upstream_stream_interrupted',
          param: null,
        }),
    },
  };
  if (!chat.ok)
    return { res: view, client, chat: { ok: false, error: new GatewayError('BAD_REQUEST', chat.error.message) } };
  return { res: view, client, chat: { ok: true, value: chat.value } };
}
