import type { ChatUsage } from '../chat-types';
import type { AnthropicUsage } from './anthropic-messages-api';

const n = (v: number | null | undefined): number => (typeof v === 'number' && v > 0 ? Math.floor(v) : 0);

/**
 * Anthropic usage → OpenAI usage. Anthropic's `input_tokens` leaves out the prompt tokens read
 * from or written to its cache (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching),
 * OpenAI's `prompt_tokens` counts them all and names the cached part `cached_tokens`.
 */
export function convertAnthropicUsage(usage: AnthropicUsage): ChatUsage {
  const cached = n(usage.cache_read_input_tokens);
  const prompt = n(usage.input_tokens) + cached + n(usage.cache_creation_input_tokens);
  const completion = n(usage.output_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
  };
}
