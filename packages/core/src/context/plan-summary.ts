import type { TokenCounter } from './count-tokens';
import { countMessageTokens, countPromptTokens, MESSAGE_OVERHEAD_TOKENS } from './count-prompt-tokens';
import { isInstruction, lastUserIndex, messagesOf, roleOf, turnUnits } from './conversation-units';
import { err, ok, type Result } from '../result';

type Rec = Record<string, unknown>;

/** The condensation methods that replace turns with a summary written by a model. */
export type SummaryMethod = 'conversational' | 'hierarchical';

export const isSummaryMethod = (method: string): method is SummaryMethod =>
  method === 'conversational' || method === 'hierarchical';

/**
 * Where a summary goes in one prompt (docs/context.md "Condensation"). The summary replaces the
 * turns of `messages[start, end)` (instructions among them stay verbatim); `ends` are the ends that
 * leave a prompt fitting the room, oldest first, so a summary cached for an earlier turn of the
 * same conversation can be reused; `fresh` is the end a new summary covers.
 */
export interface SummaryPlan {
  method: SummaryMethod;
  start: number;
  ends: readonly number[];
  fresh: number;
}

/** Tokens the summary message adds beyond the summary itself: its framing and its preamble. */
const summaryFraming = (counter: TokenCounter, method: SummaryMethod): number =>
  MESSAGE_OVERHEAD_TOKENS + counter.count(`system${summaryPreamble(method, 99_999)}`);

function summaryPreamble(method: SummaryMethod, count: number): string {
  const what =
    method === 'hierarchical'
      ? `the ${count} messages between the opening of this conversation and its latest turns`
      : `the ${count} earlier messages of this conversation`;
  return `Summary of ${what}, condensed to fit the context window:\n`;
}

/**
 * Plans a `conversational` or `hierarchical` condensation in `room` prompt tokens, with
 * `summaryTokens` kept for the summary. `conversational` summarises every turn before the newest
 * ones; `hierarchical` keeps the opening exchange (the first user turn and the answer to it) as well
 * and summarises only the middle. Instructions and the last user turn with what follows it are
 * always kept verbatim. A new summary leaves the newest turns at most half the room left, so the
 * next turns of the conversation still fit beside the same (cached) summary.
 */
export function planSummary(
  request: Rec,
  counter: TokenCounter,
  opts: { method: SummaryMethod; room: number; summaryTokens: number },
): Result<SummaryPlan, string> {
  const { method, room } = opts;
  const messages = messagesOf(request);
  const lastUser = lastUserIndex(messages);
  if (lastUser < 0) return err('no user turn to keep');
  let start = 0;
  if (method === 'hierarchical') {
    const first = messages.findIndex((m) => !isInstruction(m));
    // The opening exchange ends where the next user turn begins.
    const next = messages.findIndex((m, i) => i > first && roleOf(m) === 'user');
    if (roleOf(messages[first]) !== 'user' || next < 0 || next >= lastUser)
      return err('no middle to summarise between the opening exchange and the last turn');
    start = next;
  }
  const keep = (i: number): boolean => i < start || i >= lastUser || isInstruction(messages[i]);
  const reserve = opts.summaryTokens + summaryFraming(counter, method);
  const fixed = countPromptTokens({ ...request, messages: messages.filter((_, i) => keep(i)) }, counter) + reserve;
  const kept = method === 'hierarchical' ? 'the instructions, the opening exchange' : 'the instructions';
  if (fixed > room)
    return err(
      `${kept}, the last turn and a ${opts.summaryTokens}-token summary take ${fixed} tokens, more than the ${room} available`,
    );
  // Each unit start is a possible end of the summary (newest first), with the tokens of the turns
  // kept verbatim after it.
  const ends: number[] = [];
  let fresh = lastUser;
  let tail = 0;
  for (const unit of turnUnits(messages, start, lastUser)) {
    const at = unit[0]!;
    if (at === start || !messages.slice(start, at).some((m) => !isInstruction(m))) break;
    for (const i of unit) tail += countMessageTokens(messages[i], counter);
    if (fixed + tail > room) break;
    ends.push(at);
    if (tail <= (room - fixed) / 2) fresh = at;
  }
  if (!messages.slice(start, lastUser).some((m) => !isInstruction(m))) return err('no earlier turn to summarise');
  ends.push(lastUser);
  return ok({ method, start, ends: ends.sort((a, b) => a - b), fresh });
}

/** The turns a summary of `messages[start, end)` is written from (instructions stay in the prompt). */
export function summarisedTurns(request: Rec, start: number, end: number): unknown[] {
  return messagesOf(request)
    .slice(start, end)
    .filter((m) => !isInstruction(m));
}

/** The request with `messages[start, end)`'s turns replaced by one system message holding `summary`. */
export function withSummary(
  request: Rec,
  plan: Pick<SummaryPlan, 'method' | 'start'>,
  end: number,
  summary: string,
): Rec {
  const messages = messagesOf(request);
  const covered = summarisedTurns(request, plan.start, end).length;
  const out: unknown[] = [];
  let placed = false;
  messages.forEach((m, i) => {
    if (i < plan.start || i >= end || isInstruction(m)) {
      out.push(m);
      return;
    }
    if (placed) return;
    placed = true;
    out.push({ role: 'system', content: `${summaryPreamble(plan.method, covered)}${summary.trim()}` });
  });
  return { ...request, messages: out };
}
