import type { ChatCompletion, ChatToolCall } from '../chat-types';
import { assistantMessage } from '../assistant-message';
import type { Result } from '../dialect';
import { err, ok, parseJsonAs } from '../result';
import { googleResponseSchema, type GoogleCandidate, type GoogleResponse } from './google-api';
import { convertGoogleUsage } from './convert-google-usage';
import { mapGoogleFinishReason } from './map-google-finish-reason';

/** The answer's id: Gemini's `responseId` when it sent one (it does), else one made of the time. */
export const googleAnswerId = (answer: GoogleResponse, created: number): string =>
  `chatcmpl-${answer.responseId ?? `gemini-${created}`}`;

/** Gemini does not always give function calls an id; OpenAI clients need one to answer them. */
export const googleToolCallId = (answerId: string, candidate: number, call: number): string =>
  `call_${answerId.replace(/^chatcmpl-/, '')}_${candidate}_${call}`;

/** Text (thought parts left out: they are not the answer) and function calls of one candidate. */
export function candidateParts(candidate: GoogleCandidate): {
  text: string;
  calls: Array<{ name: string; args: Record<string, unknown>; id?: string }>;
} {
  let text = '';
  const calls: Array<{ name: string; args: Record<string, unknown>; id?: string }> = [];
  for (const part of candidate.content?.parts ?? []) {
    if (part.thought === true) continue;
    if (typeof part.text === 'string') text += part.text;
    if (part.functionCall !== undefined)
      calls.push({
        name: part.functionCall.name,
        args: part.functionCall.args ?? {},
        ...(part.functionCall.id !== undefined ? { id: part.functionCall.id } : {}),
      });
  }
  return { text, calls };
}

/** A whole `generateContent` answer as a canonical `chat.completion`. */
export function parseGoogleResponse(
  text: string,
  ctx: { model: string; created: number },
): Result<ChatCompletion, string> {
  const answer = parseJsonAs(text, googleResponseSchema);
  if (answer === null) return err('not a Gemini GenerateContentResponse');
  const id = googleAnswerId(answer, ctx.created);
  const candidates = answer.candidates ?? [];
  const choices: ChatCompletion['choices'] =
    candidates.length === 0
      ? // A prompt blocked by safety settings has no candidate, only promptFeedback.blockReason.
        [{ index: 0, message: assistantMessage('', []), finish_reason: 'content_filter' }]
      : candidates.map((candidate, i) => {
          const index = candidate.index ?? i;
          const { text, calls } = candidateParts(candidate);
          const toolCalls: ChatToolCall[] = calls.map((call, n) => ({
            id: call.id ?? googleToolCallId(id, index, n),
            type: 'function',
            function: { name: call.name, arguments: JSON.stringify(call.args) },
          }));
          return {
            index,
            message: assistantMessage(text, toolCalls),
            finish_reason: mapGoogleFinishReason(candidate.finishReason, toolCalls.length > 0),
          };
        });
  return ok({
    id,
    object: 'chat.completion',
    created: ctx.created,
    model: ctx.model,
    choices,
    ...(answer.usageMetadata !== undefined ? { usage: convertGoogleUsage(answer.usageMetadata) } : {}),
  });
}
