import { encodingForModel, loadedTokenCounter, promptFits, slideWindow } from '@aisbf/core';
import { backendDialectFor } from '@aisbf/dialects';
import type { AttemptPlan } from '../proxy/attempt-plan';
import type { Leaf } from '../proxy/select-leaf';

/**
 * What a chat request needs before it is sent to this leaf (docs/context.md "Before sending"):
 * null when it fits (or nothing is known), `skip` when the leaf cannot take it, `condensed` with
 * the body to send this leaf instead (other leaves still get the client's own) and the
 * `x-aisbf-condensed` value, `<method>; <before>-><after>`.
 */
export type WindowVerdict = null | { skip: string } | { condensed: { body: Record<string, unknown>; summary: string } };

/**
 * Only `sliding_window` is built: `conversational` and `hierarchical` fall back to it, and the
 * summary names the method actually applied. While an OpenAI tokenizer is still loading the request
 * is sent as before, never skipped or cut on a guess. A client whose own body is passed through to
 * a backend of its dialect is not condensed yet: that body, not the canonical one, is what is sent.
 */
export function windowVerdict(plan: AttemptPlan, leaf: Leaf): WindowVerdict {
  if (plan.upstreamPath !== '/chat/completions' || plan.prefill !== undefined) return null;
  const { contextSize, maxRequestTokens, condenseMethods, maxTokens } = leaf.limits;
  const window = leaf.contextWindow ?? contextSize;
  if (window === undefined && maxRequestTokens === undefined) return null;
  const counter = loadedTokenCounter(encodingForModel(leaf.target.model));
  if (counter === undefined) return null;
  const asked = plan.body['max_tokens'] ?? plan.body['max_completion_tokens'];
  const output = typeof asked === 'number' ? asked : (maxTokens ?? 0);
  const room = Math.min(window === undefined ? Infinity : window - output, maxRequestTokens ?? Infinity);
  if (promptFits(plan.body, counter, room)) return null;
  const why =
    window !== undefined && !promptFits(plan.body, counter, window - output)
      ? `prompt does not fit the ${window}-token window with ${output} tokens for the answer (${counter.encoding} count)`
      : `prompt passes max_request_tokens ${maxRequestTokens} (${counter.encoding} count)`;
  if (condenseMethods === undefined || condenseMethods.length === 0) return { skip: why };
  if (plan.client !== undefined && backendDialectFor(leaf.target.provider.type)?.name === plan.client.dialect)
    return null;
  const slid = slideWindow(plan.body, counter, room);
  if (!slid.ok) return { skip: `${why}; sliding_window cannot fit it: ${slid.reason}` };
  return { condensed: { body: slid.request, summary: `sliding_window; ${slid.before}->${slid.after}` } };
}
