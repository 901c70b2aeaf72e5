import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, countPromptTokens, tokenCounterFor, type Resolution, type SnapshotUser } from '@aisbf/core';
import { anthropicCountTokensToChat } from '@aisbf/dialects';
import { sendJson } from '../http/openai-error';
import { readJsonBody, type BodyLimits } from '../http/read-json-body';
import { sendDialectError } from '../http/dialect-error';
import type { RouteResolver } from '../proxy/route-resolver';
import { routeRefusal } from '../proxy/route-refusal';
import { headerSafe } from '../proxy/serve-proxy';

/**
 * Anthropic's `POST messages/count_tokens` (docs/clients.md): `{"input_tokens": N}` for a Messages
 * request, answered by aisbf without calling a backend. N is the prompt count of the request's
 * canonical translation with core's token counter for the model the route names (a published
 * tokenizer when the family has one, else core's documented estimate). The route name in `model`
 * must resolve for the caller, as for `messages`; errors are Anthropic's shape. Nothing is billed,
 * so no usage event is emitted.
 */
export async function serveCountTokens(
  limits: BodyLimits,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: { acting: SnapshotUser; resolve: RouteResolver; headers: Record<string, string> },
): Promise<void> {
  const refuse = (error: GatewayError): void => sendDialectError(res, error, ctx.headers, 'anthropic');
  const body = await readJsonBody(req, limits);
  if (!body.ok) return refuse(body.error);
  const chat = anthropicCountTokensToChat(body.value.json);
  if (!chat.ok) return refuse(new GatewayError('BAD_REQUEST', chat.error.message));
  const resolved = ctx.resolve(ctx.acting, chat.value.model);
  if (!resolved.ok) return refuse(routeRefusal(resolved.error));
  const counter = await tokenCounterFor(modelOf(resolved.value));
  const tokens = countPromptTokens(chat.value, counter);
  sendJson(res, 200, { input_tokens: tokens }, { ...ctx.headers, 'x-aisbf-route': headerSafe(resolved.value.route) });
}

/** The model whose tokenizer counts: a provider route's, a rotation's first model; '' (the estimate) otherwise. */
function modelOf(resolution: Resolution): string {
  if (resolution.kind === 'provider') return resolution.target.model;
  if (resolution.kind === 'rotation') return resolution.entries.find((e) => e.target !== null)?.target?.model ?? '';
  return '';
}
