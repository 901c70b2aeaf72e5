import type { TokenCounter } from './count-tokens';
import { countMessageTokens, countPromptTokens } from './count-prompt-tokens';
import { isInstruction, lastUserIndex, messagesOf, turnUnits } from './conversation-units';

type Rec = Record<string, unknown>;

export type SlideResult =
  | { ok: true; request: Rec; before: number; after: number; dropped: number }
  | { ok: false; before: number; reason: string };

/**
 * `sliding_window` condensation (docs/context.md "Condensation"): keeps every system and developer
 * message, the last user turn and whatever follows it verbatim, and as many of the newest earlier
 * turns as fit in `room` prompt tokens. An assistant message's tool calls and the tool results that
 * answer them are kept or dropped together: a backend refuses a tool result without its call.
 * The kept turns are contiguous (the newest ones), so the model never sees a hole in the middle.
 */
export function slideWindow(request: Rec, counter: TokenCounter, room: number): SlideResult {
  const before = countPromptTokens(request, counter);
  const messages = messagesOf(request);
  const lastUser = lastUserIndex(messages);
  if (lastUser < 0) return { ok: false, before, reason: 'no user turn to keep' };

  // Everything that must stay: the request's own framing and tools, instructions, the last turn.
  const mustKeep = new Set<number>();
  messages.forEach((m, i) => {
    if (i >= lastUser || isInstruction(m)) mustKeep.add(i);
  });
  const fixed = countPromptTokens({ ...request, messages: messages.filter((_, i) => mustKeep.has(i)) }, counter);
  if (fixed > room)
    return {
      ok: false,
      before,
      reason: `the instructions and the last turn alone take ${fixed} tokens, more than the ${room} available`,
    };

  // Earlier turns as droppable units, newest first (a tool-call message with its tool results is one unit).
  let used = fixed;
  for (const unit of turnUnits(messages, 0, lastUser)) {
    let cost = 0;
    for (const i of unit) cost += countMessageTokens(messages[i], counter);
    if (used + cost > room) break;
    used += cost;
    for (const i of unit) mustKeep.add(i);
  }
  const kept = messages.filter((_, i) => mustKeep.has(i));
  const condensed = { ...request, messages: kept };
  return {
    ok: true,
    request: condensed,
    before,
    after: countPromptTokens(condensed, counter),
    dropped: messages.length - kept.length,
  };
}
