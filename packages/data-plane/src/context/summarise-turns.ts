import {
  detectPrivacy,
  messagesOf,
  planSummary,
  promptFits,
  summarisedTurns,
  summaryPrompt,
  withSummary,
  err,
  ok,
  type RotationConfig,
  type Result,
  type SummaryMethod,
  type TokenCounter,
} from '@aisbf/core';
import type { ClientSignal } from '../http/client-signal';
import type { Summariser } from './summariser';
import { prefixKeys } from './summary-cache';

/** The summary's `max_tokens` when `condensation.max_tokens` is not set: a quarter of the room, at most 1,000. */
export const DEFAULT_SUMMARY_TOKENS = 1000;
/** How long the summariser may take when `condensation.timeout_s` is not set. */
export const DEFAULT_SUMMARY_TIMEOUT_MS = 30_000;

/**
 * A `conversational` or `hierarchical` condensation of `body` in `room` prompt tokens
 * (docs/context.md "Condensation"): the newest cached summary of this conversation's prefix that
 * still leaves a fitting prompt, else a new summary written by `condensation.route`. A private
 * conversation is shown only to a private route. Returns the condensed body and whether the
 * summariser was called, or why this method cannot serve (the caller falls back).
 */
export async function summariseTurns(input: {
  method: SummaryMethod;
  body: Record<string, unknown>;
  counter: TokenCounter;
  room: number;
  condensation: RotationConfig['condensation'];
  summariser: Summariser;
  /** Milliseconds left of the request's budget. */
  leftMs: number;
  signal: ClientSignal;
}): Promise<Result<{ body: Record<string, unknown>; called: boolean }, string>> {
  const { method, body, counter, room, condensation, summariser } = input;
  if (condensation === undefined) return err('the rotation names no condensation route');
  const route = condensation.route;
  if (!summariser.isPrivateRoute(route)) {
    if (summariser.judgedPrivate) return err(`the request was judged private and ${route} is not a private route`);
    const verdict = detectPrivacy(messagesOf(body));
    if (verdict.private)
      return err(`the conversation looks private (${verdict.findings.join(', ')}) and ${route} is not a private route`);
  }
  const summaryTokens = condensation.max_tokens ?? Math.min(DEFAULT_SUMMARY_TOKENS, Math.floor(room / 4));
  const planned = planSummary(body, counter, { method, room, summaryTokens });
  if (!planned.ok) return planned;
  const plan = planned.value;
  const messages = messagesOf(body);
  const keys = prefixKeys(`${summariser.scope}\u0000${route}\u0000${method}\u0000${plan.start}`, messages, plan.ends);
  // The newest cached prefix first: the conversation's earlier turns already paid for it.
  for (const end of [...plan.ends].reverse()) {
    const cached = summariser.cache.get(keys.get(end)!);
    if (cached === undefined) continue;
    const condensed = withSummary(body, plan, end, cached);
    if (promptFits(condensed, counter, room)) return ok({ body: condensed, called: false });
    break;
  }
  const key = keys.get(plan.fresh)!;
  let pending = summariser.inFlight.get(key);
  if (pending === undefined) {
    const timeoutMs = Math.min(
      condensation.timeout_s === undefined ? DEFAULT_SUMMARY_TIMEOUT_MS : condensation.timeout_s * 1000,
      input.leftMs,
    );
    if (timeoutMs <= 0) return err('no time left in the request budget for a summary');
    pending = summariser.summarise(
      route,
      summaryPrompt(summarisedTurns(body, plan.start, plan.fresh), { method, maxTokens: summaryTokens }),
      {
        maxTokens: summaryTokens,
        timeoutMs,
        signal: input.signal,
      },
    );
    summariser.inFlight.set(key, pending);
    const settle = pending;
    void settle.then((summary) => {
      if (summariser.inFlight.get(key) === settle) summariser.inFlight.delete(key);
      if (summary.ok) summariser.cache.set(key, summary.value);
    });
  }
  const summary = await pending;
  if (!summary.ok) return err(`the summary failed: ${summary.error}`);
  const condensed = withSummary(body, plan, plan.fresh, summary.value);
  if (!promptFits(condensed, counter, room))
    return err(`the summary by ${route} is longer than the ${summaryTokens} tokens kept for it`);
  return ok({ body: condensed, called: true });
}
