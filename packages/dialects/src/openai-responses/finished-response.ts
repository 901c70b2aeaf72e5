import {
  mapFinishReason,
  responseShell,
  usageField,
  type OutputItem,
  type ResponseContext,
  type ResponseObject,
} from './response-object';

/**
 * The Response of an answer that ended, whole or streamed: `completed`, or `incomplete` with why
 * (from the chat `finish_reason`); `completed_at` is set only when it completed (OpenAI's
 * Response object reference).
 */
export function finishedResponse(
  ctx: ResponseContext,
  answer: {
    model: string;
    finishReason: string | null | undefined;
    output: OutputItem[];
    usage: Parameters<typeof usageField>[0];
  },
  completedAt: number,
): ResponseObject {
  const finish = mapFinishReason(answer.finishReason);
  return {
    ...responseShell(ctx, finish.status, answer.model),
    ...finish,
    completed_at: finish.status === 'completed' ? completedAt : null,
    output: answer.output,
    ...usageField(answer.usage),
  };
}
