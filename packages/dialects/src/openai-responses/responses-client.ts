import type { ChatCompletion, ChatError } from '../chat-types';
import type { ClientErrorReply, ClientStreamEncoder } from '../dialect';
import { chatToResponse } from './chat-to-response';
import type { ResponseContext, ResponseObject } from './response-object';
import { createResponsesStreamEncoder } from './responses-stream-encoder';

/**
 * The Responses side of one request, with its context bound: what the contract's `ClientDialect`
 * offers (`fromCanonical`, a stream encoder, `formatError`), plus the finished Response so the
 * caller can store it. Responses needs more per request than `{model}` (the tools it was given,
 * the fields it repeats back, its id), hence one of these per request.
 */
export interface ResponsesReply {
  fromCanonical(completion: ChatCompletion): ResponseObject;
  createStreamEncoder(): ClientStreamEncoder & { response(): ResponseObject };
  formatError(status: number, error: ChatError): ClientErrorReply;
}

export function createResponsesReply(ctx: ResponseContext, now: () => number): ResponsesReply {
  const seconds = (): number => Math.floor(now() / 1000);
  return {
    fromCanonical: (completion) => chatToResponse(ctx, completion, seconds()),
    createStreamEncoder() {
      const encoder = createResponsesStreamEncoder(ctx);
      return {
        chunk: (chunk) => encoder.chunk(chunk),
        done: () => encoder.end(seconds()),
        // A backend cut mid-answer is the service's failure, whatever its upstream code was.
        error: (error) => encoder.fail({ code: 'server_error', message: error.message }),
        response: () => encoder.response(),
      };
    },
    formatError: formatResponsesError,
  };
}

/** Responses errors have OpenAI's error shape and status (https://platform.openai.com/docs/guides/error-codes). */
export function formatResponsesError(status: number, error: ChatError): ClientErrorReply {
  return { status, contentType: 'application/json', body: JSON.stringify({ error }) };
}
