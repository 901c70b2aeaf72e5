import { encodingForModel, loadedTokenCounter, promptFits } from '@aisbf/core';
import type { AttemptPlan } from '../proxy/attempt-plan';
import type { Leaf } from '../proxy/select-leaf';

/**
 * Why a chat request cannot be sent to this leaf (docs/context.md): its window cannot hold the
 * prompt plus the output bound, or the prompt passes `max_request_tokens`. Null when it may be
 * sent. A leaf with a `condense_method` is left to the backend (condensing is not built yet), and
 * while an OpenAI tokenizer is still loading the request is sent as before, never skipped on a guess.
 */
export function windowVerdict(plan: AttemptPlan, leaf: Leaf): string | null {
  if (plan.upstreamPath !== '/chat/completions' || plan.prefill !== undefined) return null;
  const { contextSize, maxRequestTokens, condenseMethods, maxTokens } = leaf.limits;
  const window = leaf.contextWindow ?? contextSize;
  if (window === undefined && maxRequestTokens === undefined) return null;
  if (condenseMethods !== undefined && condenseMethods.length > 0) return null;
  const counter = loadedTokenCounter(encodingForModel(leaf.target.model));
  if (counter === undefined) return null;
  const asked = plan.body['max_tokens'] ?? plan.body['max_completion_tokens'];
  const output = typeof asked === 'number' ? asked : (maxTokens ?? 0);
  if (window !== undefined && !promptFits(plan.body, counter, window - output))
    return `prompt does not fit the ${window}-token window with ${output} tokens for the answer (${counter.encoding} count)`;
  if (maxRequestTokens !== undefined && !promptFits(plan.body, counter, maxRequestTokens))
    return `prompt passes max_request_tokens ${maxRequestTokens} (${counter.encoding} count)`;
  return null;
}
