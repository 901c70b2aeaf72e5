import { createParser, type EventSourceParser } from 'eventsource-parser';
import { MAX_STREAM_FRAME_CHARS } from './max-stream-frame';

/**
 * One SSE event's data: `text.slice(start, end)`. `framed`: the event arrived as exactly
 * `data: <data>\n\n`, i.e. `text.slice(start - 6, end + 2)` is its bytes as received.
 * `frameStart`: where the event's bytes as received begin when it arrived as exactly
 * `[event: <name>\n]data: <data>\n\n` (they are `text.slice(frameStart, end + 2)`), else -1.
 * Returns false to stop reading (the rest is dropped).
 */
export type SseEventHandler = (
  text: string,
  start: number,
  end: number,
  framed: boolean,
  frameStart: number,
) => boolean;

/**
 * The SSE framing of an upstream stream (docs/architecture.md "Data plane API"). OpenAI-compatible servers frame
 * every event as `data: <json>\n\n`; those are found with two `indexOf`s and handed over as offsets
 * into the decoded read, with no string, line or event object made per event (the relay's hot
 * path, docs/benchmarks.md); so are `event: <name>\ndata: <json>\n\n` frames (Anthropic's), whose name is
 * dropped as the full parser drops it. Anything else (comments, `id:` fields, multi-line data,
 * CR line ends, `data:` without its space) switches the stream for good to eventsource-parser,
 * the full WHATWG parser, from the first frame boundary where it appeared.
 *
 * A frame longer than `maxFrame` (an event that never ends) is never held: the reader stops and
 * `overflowed` is set, so the caller ends the stream (max-stream-frame.ts).
 */
export class SseReader {
  /** The start of a frame whose end has not arrived yet. */
  private carry = '';
  private full: EventSourceParser | null = null;
  private stopped = false;
  /** Full parser: characters fed since the last blank line (what it may be holding), and the last one. */
  private pending = 0;
  private lastChar = 0;
  overflowed = false;

  constructor(
    private readonly onEvent: SseEventHandler,
    private readonly maxFrame = MAX_STREAM_FRAME_CHARS,
  ) {}

  /** Characters held for a frame whose end has not arrived (at most `maxFrame`). */
  get buffered(): number {
    return this.full === null ? this.carry.length : this.pending;
  }

  /**
   * Reads one decoded chunk. True when the chunk held whole frames only (`data: …\n\n`, with or
   * without an `event:` line), with nothing carried in or left over: its bytes are then exactly
   * the frames, in order, each handed over with its `frameStart`.
   */
  feed(chunk: string): boolean {
    if (this.stopped || chunk === '') return false;
    if (this.full !== null) {
      this.feedFull(chunk);
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
      // Anthropic names every event (`event: <type>\ndata: <json>\n\n`); the name repeats the
      // data's `type`, so such a frame reads as its data line, on the same fast path.
      let data = at;
      if (text.substring(at, at + 7) === 'event: ') {
        const eol = text.indexOf('\n', at + 7);
        if (eol < 0) break;
        data = eol + 1;
      } else if (length - at < 7 && 'event: '.startsWith(text.slice(at))) break;
      if (text.substring(data, data + 6) !== 'data: ') {
        // Possibly the start of a frame cut by the read ("dat"): wait for the rest.
        if (length - data < 6 && 'data: '.startsWith(text.slice(data))) break;
        return this.fallBack(text, at);
      }
      const newline = text.indexOf('\n', data + 6);
      if (newline < 0 || newline + 1 === length) break;
      if (newline - at > this.maxFrame) return this.overflow();
      if (text.charCodeAt(newline + 1) !== 0x0a) return this.fallBack(text, at);
      if (!this.onEvent(text, data + 6, newline, data === at, at)) {
        this.stopped = true;
        return false;
      }
      at = newline + 2;
    }
    if (at < length) {
      if (length - at > this.maxFrame) return this.overflow();
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
        if (!this.onEvent(event.data, 0, event.data.length, false, -1)) this.stopped = true;
      },
    });
    this.feedFull(from === 0 ? text : text.slice(from));
    return false;
  }

  /**
   * Feeds the full parser, which keeps an unfinished event inside: it is given text only up to
   * the last blank line (any two line ends in a row) when what follows would pass `maxFrame`.
   */
  private feedFull(text: string): void {
    const boundary = lastBlankLineEnd(text, this.lastChar);
    const tail = boundary < 0 ? this.pending + text.length : text.length - boundary;
    if (tail > this.maxFrame) {
      if (boundary > 0) this.full!.feed(text.slice(0, boundary));
      this.overflow();
      return;
    }
    this.pending = tail;
    this.lastChar = text.charCodeAt(text.length - 1);
    this.full!.feed(text);
  }

  private overflow(): false {
    this.overflowed = true;
    this.stopped = true;
    this.carry = '';
    this.pending = 0;
    return false;
  }
}

/**
 * Where the text after the last blank line starts (-1: none). Lines end in LF, CR or CRLF, so a
 * blank line is a line end right after another: LF LF, LF CR, CR CR (CRLF CRLF contains LF CR).
 * `before` is the previous read's last character, for a pair cut by the read.
 */
function lastBlankLineEnd(text: string, before: number): number {
  const end = Math.max(text.lastIndexOf('\n\n'), text.lastIndexOf('\n\r'), text.lastIndexOf('\r\r'));
  if (end >= 0) return end + 2;
  const first = text.charCodeAt(0);
  const pairCut =
    (before === 0x0a || before === 0x0d) && (first === 0x0a || first === 0x0d) && !(before === 0x0d && first === 0x0a);
  return pairCut ? 1 : -1;
}
