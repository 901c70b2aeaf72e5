import type { ChatCompletion } from '../chat-types';
import { finishedResponse } from './finished-response';
import {
  mapFinishReason,
  toolCallItem,
  type OutputItem,
  type ResponseContext,
  type ResponseObject,
} from './response-object';

/**
 * A chat completion → the Response object (first choice; Responses has no `n`). The text (and a
 * refusal) becomes one assistant `message` item, each tool call a `function_call` (or
 * `custom_tool_call`) item after it; `model` is what the backend says served the answer.
 */
export function chatToResponse(ctx: ResponseContext, completion: ChatCompletion, completedAt: number): ResponseObject {
  const choice = completion.choices?.[0];
  const message = choice?.message;
  const output: OutputItem[] = [];
  const content: Extract<OutputItem, { type: 'message' }>['content'] = [];
  if (typeof message?.content === 'string' && message.content !== '')
    content.push({ type: 'output_text', text: message.content, annotations: [], logprobs: [] });
  if (typeof message?.refusal === 'string' && message.refusal !== '')
    content.push({ type: 'refusal', refusal: message.refusal });
  if (content.length > 0)
    output.push({
      type: 'message',
      id: ctx.newId('msg'),
      role: 'assistant',
      status: mapFinishReason(choice?.finish_reason).status === 'incomplete' ? 'incomplete' : 'completed',
      content,
    });
  for (const call of message?.tool_calls ?? []) output.push(toolCallItem(ctx, call, 'completed'));
  return finishedResponse(
    ctx,
    { model: completion.model ?? ctx.model, finishReason: choice?.finish_reason, output, usage: completion.usage },
    completedAt,
  );
}
