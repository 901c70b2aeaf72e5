/**
 * AISBF's `condense_context`, the percent of the window at which condensing starts (docs/context.md
 * "Condensation"): the prompt tokens an entry with a condense method takes before its prompt is
 * condensed, and the size it is condensed to. That is the room the window leaves for the prompt
 * (window less the answer's bound, or `max_request_tokens`), lowered to `percent` of the window.
 * Without a window or a percent (or at 100) it is the room itself: condense only what would not fit.
 */
export function condenseAt(room: number, window: number | undefined, percent: number | undefined): number {
  if (window === undefined || percent === undefined || percent >= 100) return room;
  return Math.min(room, Math.floor((window * percent) / 100));
}
