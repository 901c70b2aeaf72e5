import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import {
  GatewayError,
  safeJsonParse,
  storedResponseSchema,
  type ResponseStore,
  type Result,
  type SnapshotUser,
  type StoredResponse,
} from '@aisbf/core';
import {
  createResponsesReply,
  responsesRequestSchema,
  responsesToChat,
  type ResponseObject,
  type ResponsesItem,
} from '@aisbf/dialects';
import { badRequest } from '../http/openai-error';
import { transcodingResponse, type ClientCodec } from './transcoding-response';

export interface ResponsesDeps {
  /** Stored responses; null = `previous_response_id` is unknown and nothing is stored. */
  store: ResponseStore | null;
  /** A conversation longer than this (JSON characters) is answered but not stored. */
  maxStoredChars: number;
  clock: () => number;
  logger: Logger;
}

export interface ResponsesTurn {
  /** The canonical (OpenAI Chat) request the proxy routes. */
  chat: Record<string, unknown>;
  /** Where the proxy writes its chat answer; the client reads a Response. */
  res: ServerResponse;
}

const itemId = (prefix: string): string => `${prefix}_${randomBytes(12).toString('hex')}`;

/**
 * `POST /responses` before routing (docs/clients.md): validate, load the conversation a
 * `previous_response_id` names (the caller's own only), convert to a chat request, and give the
 * proxy a response view that answers in the Responses dialect and stores the finished turn.
 */
export async function prepareResponsesTurn(
  deps: ResponsesDeps,
  user: SnapshotUser,
  body: unknown,
  res: ServerResponse,
): Promise<Result<ResponsesTurn, GatewayError>> {
  const parsed = responsesRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue === undefined || issue.path.length === 0 ? undefined : issue.path.join('.');
    const message =
      typeof body !== 'object' || body === null || Array.isArray(body)
        ? 'The request body must be a JSON object.'
        : (issue?.message ?? 'Invalid request.');
    return { ok: false, error: badRequest(message, param) };
  }
  const request = parsed.data;
  let history: ResponsesItem[] = [];
  const previous = request.previous_response_id;
  if (typeof previous === 'string') {
    const found = await loadStored(deps, user, previous);
    if (!found.ok) return found;
    history = [...found.value.items, ...found.value.output];
  }
  const turn = responsesToChat(request, history);
  if (!turn.ok) return { ok: false, error: badRequest(turn.error.message, turn.error.param) };
  const chat: Record<string, unknown> = { ...turn.value.chat };
  // The relay forwards the usage trailer only when asked: Responses always reports usage.
  if (chat['stream'] === true) chat['stream_options'] = { include_usage: true };
  const id = itemId('resp');
  const createdAt = Math.floor(deps.clock() / 1000);
  const reply = createResponsesReply(
    { id, createdAt, model: request.model, echo: turn.value.echo, tools: turn.value.tools, newId: itemId },
    deps.clock,
  );
  let finished: ResponseObject | null = null;
  const codec: ClientCodec = {
    fromCanonical(completion) {
      finished = reply.fromCanonical(completion);
      return finished;
    },
    createStreamEncoder() {
      const encoder = reply.createStreamEncoder();
      return {
        chunk: (chunk) => encoder.chunk(chunk),
        done() {
          const text = encoder.done();
          finished = encoder.response();
          return text;
        },
        error: (error) => encoder.error(error),
      };
    },
    formatError: (status, error) => reply.formatError(status, error),
    async beforeEnd() {
      const response: ResponseObject | null = finished;
      if (deps.store === null || response === null || !turn.value.echo.store) return;
      const stored: StoredResponse = {
        v: 1,
        items: turn.value.items,
        output: response.output as unknown as Array<Record<string, unknown>>,
        createdAt,
      };
      const json = JSON.stringify(stored);
      if (json.length > deps.maxStoredChars) {
        deps.logger.warn({ responseId: id, chars: json.length }, 'response too large to store; answered, not stored');
        return;
      }
      await deps.store.set(user.id, id, json);
    },
  };
  const view = transcodingResponse(res, codec, (error) =>
    deps.logger.warn({ err: error, responseId: id }, 'storing a response failed; answered, not stored'),
  );
  return { ok: true, value: { chat, res: view } };
}

async function loadStored(
  deps: ResponsesDeps,
  user: SnapshotUser,
  id: string,
): Promise<Result<StoredResponse, GatewayError>> {
  let text: string | null = null;
  if (deps.store !== null) {
    try {
      text = await deps.store.get(user.id, id);
    } catch (error) {
      deps.logger.warn({ err: error, responseId: id }, 'stored responses unavailable');
      return {
        ok: false,
        error: new GatewayError('UNAVAILABLE', 'Stored responses are unavailable right now; retry shortly.', {
          wireCode: 'response_store_unavailable',
          retryAfterS: 1,
        }),
      };
    }
  }
  const json = text === null ? null : safeJsonParse(text);
  const stored = json?.ok === true ? storedResponseSchema.safeParse(json.value) : null;
  if (stored?.success === true) return { ok: true, value: stored.data };
  return {
    ok: false,
    error: new GatewayError(
      'NOT_FOUND',
      `Previous response with id '${id}' not found (responses are kept for a limited time, and only for the user who created them).`,
      { wireCode: 'previous_response_not_found', path: 'previous_response_id' },
    ),
  };
}
