import type { ChatUsage } from '../chat-types';
import type { GoogleUsage } from './google-api';

/**
 * `usageMetadata` as OpenAI usage: thinking tokens are output tokens (billed as such); `cachedContentTokenCount` is the cached part of the prompt.
 */
export function convertGoogleUsage(usage: GoogleUsage): ChatUsage {
  const prompt = usage.promptTokenCount ?? 0;
  const thoughts = usage.thoughtsTokenCount ?? 0;
  const completion = (usage.candidatesTokenCount ?? 0) + thoughts;
  const out: ChatUsage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: usage.totalTokenCount ?? prompt + completion,
  };
  if (usage.cachedContentTokenCount !== undefined)
    out.prompt_tokens_details = { cached_tokens: Math.min(prompt, usage.cachedContentTokenCount) };
  return out;
}
