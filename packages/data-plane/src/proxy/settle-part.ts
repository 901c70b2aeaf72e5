import type { UsageAttempt } from '@aisbf/core';
import type { AttemptPlan } from './attempt-plan';
import { estimateTokens } from './chunk-facts';
import type { RelayState } from './relay-state';
import type { Served } from './run-attempts';

/**
 * The entry that served a part of the stream is done: its tokens (reported, else estimated from the
 * text it delivered) go into the tally and its attempt, which gets its final outcome.
 */
export function settlePart(s: RelayState, plan: AttemptPlan, served: Served, outcome: UsageAttempt['outcome']): void {
  const attempt = [...plan.attempts]
    .reverse()
    .find(
      (a) =>
        a.provider === served.leaf.target.provider.id && a.model === served.leaf.target.model && a.outcome === 'ok',
    );
  const usage = s.usage;
  const completion = usage?.completion ?? estimateTokens(s.partChars);
  if (usage === null) s.tally.estimated = true;
  else {
    s.tally.promptTokens ??= usage.prompt;
    s.tally.cachedPromptTokens ??= usage.cached;
  }
  s.tally.completionTokens += completion;
  if (attempt !== undefined) {
    attempt.outcome = outcome;
    if (served.call.frameTooLarge) attempt.detail = 'frame_too_large';
    attempt.completionTokens = completion;
    if (usage !== null) attempt.promptTokens = usage.prompt;
  }
  s.usage = null;
  s.partChars = 0;
}
