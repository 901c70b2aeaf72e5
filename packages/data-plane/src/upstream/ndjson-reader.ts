import { MAX_STREAM_FRAME_CHARS } from './max-stream-frame';
import type { SseEventHandler } from './sse-reader';

/**
 * The NDJSON framing of a stream (Ollama's `/api/chat`, https://github.com/ollama/ollama/blob/main/docs/api.md#streaming-responses):
 * one JSON value a line. Each non-blank line goes to the handler as a payload, like an SSE
 * event's data (never `framed`: the bytes are not SSE, so the relay never forwards them raw).
 * A line longer than `maxFrame` is never held: the reader stops and sets `overflowed`
 * (max-stream-frame.ts).
 */
export class NdjsonReader {
  private carry = '';
  private stopped = false;
  overflowed = false;

  constructor(
    private readonly onEvent: SseEventHandler,
    private readonly maxFrame = MAX_STREAM_FRAME_CHARS,
  ) {}

  /** Characters held for a line whose end has not arrived (at most `maxFrame`). */
  get buffered(): number {
    return this.carry.length;
  }

  /** Reads one decoded chunk; always false (no read is ever a run of SSE frames). */
  feed(chunk: string): boolean {
    if (this.stopped || chunk === '') return false;
    const text = this.carry === '' ? chunk : this.carry + chunk;
    let at = 0;
    for (;;) {
      const newline = text.indexOf('\n', at);
      if (newline < 0) break;
      if (newline - at > this.maxFrame) return this.overflow();
      if (!this.line(text, at, newline)) return false;
      at = newline + 1;
    }
    if (text.length - at > this.maxFrame) return this.overflow();
    this.carry = text.slice(at);
    return false;
  }

  private overflow(): false {
    this.overflowed = true;
    this.stopped = true;
    this.carry = '';
    return false;
  }

  /** The body ended: a last line without its newline still counts. */
  end(): void {
    if (this.stopped || this.carry === '') return;
    const rest = this.carry;
    this.carry = '';
    this.line(rest, 0, rest.length);
  }

  private line(text: string, start: number, end: number): boolean {
    if (end > start && text.charCodeAt(end - 1) === 0x0d) end--;
    if (text.slice(start, end).trim() === '') return true;
    if (this.onEvent(text, start, end, false, -1)) return true;
    this.stopped = true;
    return false;
  }
}
