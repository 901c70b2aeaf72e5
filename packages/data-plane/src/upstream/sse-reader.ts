import { createParser, type EventSourceParser } from 'eventsource-parser';

/**
 * One SSE event's data: `text.slice(start, end)`. `framed`: the event arrived as exactly
 * `data: <data>\n\n`, i.e. `text.slice(start - 6, end + 2)` is its bytes as received. Returns false
 * to stop reading (the rest is dropped).
 */
export type SseEventHandler = (text: string, start: number, end: number, framed: boolean) => boolean;

/**
 * The SSE framing of an upstream stream (docs/architecture.md "Data plane API"). OpenAI-compatible servers frame
 * every event as `data: <json>\n\n`; those are found with two `indexOf`s and handed over as offsets
 * into the decoded read, with no string, line or event object made per event (the relay's hot
 * path, docs/benchmarks.md). Anything else (comments, `event:`/`id:` fields, multi-line data,
 * CR line ends, `data:` without its space) switches the stream for good to eventsource-parser,
 * the full WHATWG parser, from the first frame boundary where it appeared.
 */
export class SseReader {
  /** The start of a frame whose end has not arrived yet. */
  private carry = '';
  private full: EventSourceParser | null = null;
  private stopped = false;

  constructor(private readonly onEvent: SseEventHandler) {}

  /**
   * Reads one decoded chunk. True when the chunk held whole `data: …\n\n` frames only, with
   * nothing carried in or left over: its bytes are then exactly the frames, in order.
   */
  feed(chunk: string): boolean {
    if (this.stopped || chunk === '') return false;
    if (this.full !== null) {
      this.full.feed(chunk);
      return false;
    }
    const carried = this.carry !== '';
    const text = carried ? this.carry + chunk : chunk;
    this.carry = '';
    // A CR anywhere ends lines in SSE: those streams take the full parser (one native scan per read).
    if (text.indexOf('\r') >= 0) return this.fallBack(text, 0);
    const length = text.length;
    let at = 0;
    while (at < length) {
      if (text.substring(at, at + 6) !== 'data: ') {
        // Possibly the start of a frame cut by the read ("dat"): wait for the rest.
        if (length - at < 6 && 'data: '.startsWith(text.slice(at))) break;
        return this.fallBack(text, at);
      }
      const newline = text.indexOf('\n', at + 6);
      if (newline < 0 || newline + 1 === length) break;
      if (text.charCodeAt(newline + 1) !== 0x0a) return this.fallBack(text, at);
      if (!this.onEvent(text, at + 6, newline, true)) {
        this.stopped = true;
        return false;
      }
      at = newline + 2;
    }
    if (at < length) {
      this.carry = text.slice(at);
      return false;
    }
    return !carried;
  }

  /** The body ended: an event still open (no closing blank line) counts. */
  end(): void {
    if (this.stopped) return;
    if (this.full === null) {
      if (this.carry === '') return;
      const rest = this.carry;
      this.carry = '';
      this.fallBack(rest, 0);
    }
    this.full?.feed('\n\n');
  }

  private fallBack(text: string, from: number): false {
    this.full = createParser({
      onEvent: (event) => {
        if (this.stopped) return;
        if (!this.onEvent(event.data, 0, event.data.length, false)) this.stopped = true;
      },
    });
    this.full.feed(from === 0 ? text : text.slice(from));
    return false;
  }
}
