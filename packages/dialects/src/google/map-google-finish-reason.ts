import type { ChatFinishReason } from '../chat-types';

const FILTERED = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

/**
 * Gemini's `finishReason` (https://ai.google.dev/api/generate-content#ChatFinishReason) as OpenAI's.
 * Gemini says STOP after a function call too: a turn that made calls finishes with `tool_calls`.
 */
export function mapGoogleFinishReason(reason: string | undefined, madeToolCalls: boolean): ChatFinishReason {
  if (madeToolCalls) return 'tool_calls';
  if (reason === 'MAX_TOKENS') return 'length';
  if (reason !== undefined && FILTERED.has(reason)) return 'content_filter';
  return 'stop';
}
