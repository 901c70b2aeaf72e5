import type { ChatFinishReason } from '../chat-types';

/**
 * Anthropic `stop_reason` → OpenAI `finish_reason`
 * (https://docs.anthropic.com/en/api/handling-stop-reasons). `pause_turn` (a server tool paused
 * the turn) has no OpenAI counterpart; it ends the answer as `stop`.
 */
export function mapAnthropicStopReason(reason: string | null | undefined): ChatFinishReason | null {
  switch (reason) {
    case null:
    case undefined:
      return null;
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/** The reverse, for Anthropic clients of other backends. */
export function toAnthropicStopReason(reason: string | null | undefined): string {
  switch (reason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}
