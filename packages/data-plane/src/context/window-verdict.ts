import {
  countPromptTokens,
  encodingForModel,
  isSummaryMethod,
  loadedTokenCounter,
  promptFits,
  slideWindow,
} from '@aisbf/core';
import { backendDialectFor } from '@aisbf/dialects';
import type { AttemptPlan } from '../proxy/attempt-plan';
import type { Leaf } from '../proxy/select-leaf';
import { summariseTurns } from './summarise-turns';

/**
 * What a chat request needs before it is sent to this leaf (docs/context.md "Before sending"):
 * null when it fits (or nothing is known), `skip` when the leaf cannot take it, `condensed` with
 * the body to send this leaf instead (other leaves still get the client's own), the
 * `x-aisbf-condensed` value, `<method>; <before>-><after>`, the milliseconds spent waiting on a
 * summariser (upstream time, not aisbf's overhead) and, after a fallback, why the methods listed
 * first did not serve (the attempt's `reason` in the usage record).
 */
export type WindowVerdict =
  | null
  | { skip: string }
  | { condensed: { body: Record<string, unknown>; summary: string; waitedMs: number; note?: string } };

/**
 * The leaf's `condense_method`s are tried in the order listed until one gives a prompt that fits;
 * `sliding_window` is the last resort of every list (a failed or refused summary falls back to it,
 * never to an error), and the summary names the method actually applied. While an OpenAI
 * tokenizer is still loading the request is sent as before, never skipped or cut on a guess. A
 * client whose own body is passed through to a backend of its dialect is not condensed yet: that
 * body, not the canonical one, is what is sent.
 */
export async function windowVerdict(plan: AttemptPlan, leaf: Leaf, leftMs: number): Promise<WindowVerdict> {
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
  const failed: string[] = [];
  let waitedMs = 0;
  for (const method of condenseMethods) {
    if (method === 'sliding_window') break;
    // A summary request itself carries no summariser: it is never condensed by another summary.
    if (!isSummaryMethod(method) || plan.summariser === undefined) continue;
    const started = performance.now();
    const summarised = await summariseTurns({
      method,
      body: plan.body,
      counter,
      room,
      condensation: plan.resolution.kind === 'rotation' ? plan.resolution.rotation.config.condensation : undefined,
      summariser: plan.summariser,
      leftMs,
      signal: plan.clientSignal,
    });
    // Time on a cache hit is aisbf's own; a summariser's answer (or failure) is upstream time.
    if (!summarised.ok || summarised.value.called) waitedMs += performance.now() - started;
    if (!summarised.ok) {
      failed.push(`${method}: ${summarised.error}`);
      continue;
    }
    const before = countPromptTokens(plan.body, counter);
    const after = countPromptTokens(summarised.value.body, counter);
    return { condensed: { body: summarised.value.body, summary: `${method}; ${before}->${after}`, waitedMs } };
  }
  const note = failed.length === 0 ? undefined : failed.join('; ');
  const slid = slideWindow(plan.body, counter, room);
  if (!slid.ok)
    return { skip: `${why}; sliding_window cannot fit it: ${slid.reason}${note === undefined ? '' : ` (${note})`}` };
  return {
    condensed: {
      body: slid.request,
      summary: `sliding_window; ${slid.before}->${slid.after}`,
      waitedMs,
      ...(note === undefined ? {} : { note }),
    },
  };
}
