import {
  condenseAt,
  countPromptTokens,
  encodingForModel,
  isSummaryMethod,
  loadedTokenCounter,
  promptFits,
  slideWindow,
} from '@aisbf/core';
import type { AttemptPlan } from '../proxy/attempt-plan';
import type { Leaf } from '../proxy/select-leaf';
import { summariseTurns } from './summarise-turns';

/** The body one leaf gets instead of the client's, and what the answer and usage record say of it. */
export interface Condensed {
  body: Record<string, unknown>;
  /** The `x-aisbf-condensed` value, `<method>; <before>-><after>`. */
  summary: string;
  /** Spent waiting on a summariser: upstream time, not aisbf's overhead. */
  waitedMs: number;
  /** After a fallback, why the methods listed first did not serve (the attempt's `reason`). */
  note?: string;
}

/**
 * What a chat request needs before it is sent to this leaf (docs/context.md "Before sending"):
 * null when it fits (or nothing is known), `skip` when the leaf cannot take it, `condense` when it
 * gets a condensed body instead (other leaves still get the client's own). Deciding is synchronous;
 * only condensing may wait on a summariser, so a leaf is skipped (or spaced out) before anyone
 * pays for a summary it would not use.
 */
export type WindowVerdict = null | { skip: string } | { condense: (leftMs: number) => Promise<Condensed> };

/**
 * The leaf's `condense_method`s are tried in the order listed until one gives a prompt that fits;
 * `sliding_window` is the last resort of every list (a failed or refused summary falls back to it,
 * never to an error), and the summary names the method actually applied. When sliding_window
 * cannot fit the prompt no summary can (it keeps the same turns plus a summary), so the leaf is
 * skipped. While an OpenAI tokenizer is still loading the request is sent as before, never skipped
 * or cut on a guess. A client that would be passed through to a backend of its own dialect is
 * judged on its canonical body too; when condensed, that attempt is translated (run-attempts.ts).
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
  const methodsSet = condenseMethods !== undefined && condenseMethods.length > 0;
  // condense_context lowers where an entry with a method starts condensing (and what it condenses to).
  const target = methodsSet ? condenseAt(room, window, leaf.limits.condenseContext) : room;
  if (promptFits(plan.body, counter, target)) return null;
  const fits = target < room && promptFits(plan.body, counter, room);
  const why = fits
    ? `prompt passes condense_context ${leaf.limits.condenseContext}% of the ${window}-token window (${counter.encoding} count)`
    : window !== undefined && !promptFits(plan.body, counter, window - output)
      ? `prompt does not fit the ${window}-token window with ${output} tokens for the answer (${counter.encoding} count)`
      : `prompt passes max_request_tokens ${maxRequestTokens} (${counter.encoding} count)`;
  if (!methodsSet) return { skip: why };
  const slid = slideWindow(plan.body, counter, target);
  // Past the threshold but within the window: sent as it is when it cannot be condensed further.
  if (!slid.ok) return fits ? null : { skip: `${why}; sliding_window cannot fit it: ${slid.reason}` };
  const bySlide: Condensed = {
    body: slid.request,
    summary: `sliding_window; ${slid.before}->${slid.after}`,
    waitedMs: 0,
  };
  const end = condenseMethods.indexOf('sliding_window');
  const methods = (end < 0 ? condenseMethods : condenseMethods.slice(0, end)).filter(isSummaryMethod);
  // A summary request itself carries no summariser: it is never condensed by another summary.
  const summariser = plan.summariser;
  if (methods.length === 0 || summariser === undefined) return { condense: () => Promise.resolve(bySlide) };
  const condensation = plan.resolution.kind === 'rotation' ? plan.resolution.rotation.config.condensation : undefined;
  return {
    async condense(leftMs) {
      const failed: string[] = [];
      const started = performance.now();
      for (const method of methods) {
        const summarised = await summariseTurns({
          method,
          body: plan.body,
          counter,
          room: target,
          condensation,
          summariser,
          leftMs: leftMs - (performance.now() - started),
          signal: plan.clientSignal,
        });
        if (!summarised.ok) {
          failed.push(`${method}: ${summarised.error}`);
          continue;
        }
        const after = countPromptTokens(summarised.value.body, counter);
        return {
          body: summarised.value.body,
          summary: `${method}; ${slid.before}->${after}`,
          // Time on a cache hit is aisbf's own; a summariser's answer (or failure) is upstream time.
          waitedMs: summarised.value.called || failed.length > 0 ? performance.now() - started : 0,
        };
      }
      return { ...bySlide, waitedMs: performance.now() - started, note: failed.join('; ') };
    },
  };
}
