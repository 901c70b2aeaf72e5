type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

export const roleOf = (m: unknown): unknown => (isRec(m) ? m['role'] : undefined);
/** System and developer messages: every condensation method keeps them verbatim. */
export const isInstruction = (m: unknown): boolean => roleOf(m) === 'system' || roleOf(m) === 'developer';

/** The request's messages (an empty list when it has none). */
export function messagesOf(request: Rec): unknown[] {
  const messages = request['messages'];
  return Array.isArray(messages) ? messages : [];
}

/** Index of the last user message, -1 when there is none. */
export function lastUserIndex(messages: readonly unknown[]): number {
  for (let i = messages.length - 1; i >= 0; i--) if (roleOf(messages[i]) === 'user') return i;
  return -1;
}

/**
 * The turns of `messages[from, to)` as units a condensation keeps or drops whole, newest first:
 * an assistant message with tool calls and the tool results answering it are one unit (a backend
 * refuses a tool result without its call). Instructions are left out (they are always kept), and
 * so are tool results whose call is not in the range (meaningless alone).
 */
export function turnUnits(messages: readonly unknown[], from: number, to: number): number[][] {
  const units: number[][] = [];
  let pendingTools: number[] = [];
  for (let i = to - 1; i >= from; i--) {
    const m = messages[i];
    if (isInstruction(m)) continue;
    if (roleOf(m) === 'tool') {
      pendingTools.unshift(i);
      continue;
    }
    units.push([i, ...pendingTools]);
    pendingTools = [];
  }
  return units;
}
