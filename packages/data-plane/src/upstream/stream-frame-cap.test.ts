import { describe, expect, it } from 'vitest';
import { MAX_STREAM_FRAME_CHARS } from './max-stream-frame';
import { NdjsonReader } from './ndjson-reader';
import { SseReader } from './sse-reader';

// docs/security.md, second review, finding 13: a user's provider sending an SSE frame with no end
// had it buffered whole, growing the node's memory without bound. The readers now hold at most
// MAX_STREAM_FRAME_CHARS of an unfinished frame, then stop and say so.
const MiB = 1024 * 1024;
const READ = 64 * 1024;

/** Feeds `head` then `size` characters of one unterminated frame in 64 KiB reads; tracks the most held. */
function flood(reader: SseReader | NdjsonReader, head: string, size: number): { maxBuffered: number; fed: number } {
  let maxBuffered = 0;
  let fed = 0;
  reader.feed(head);
  const piece = 'x'.repeat(READ);
  while (fed < size && !reader.overflowed) {
    reader.feed(piece);
    fed += READ;
    maxBuffered = Math.max(maxBuffered, reader.buffered);
  }
  return { maxBuffered, fed };
}

describe('stream frame cap', () => {
  it('is 1 MiB', () => {
    expect(MAX_STREAM_FRAME_CHARS).toBe(MiB);
  });

  it('SSE standard framing: a 2 MiB frame without its end is never held past the cap', () => {
    const events: string[] = [];
    const reader = new SseReader((text, start, end) => {
      events.push(text.slice(start, end));
      return true;
    });
    const { maxBuffered, fed } = flood(reader, 'data: {"a":1}\n\ndata: {"big":"', 2 * MiB);
    expect(reader.overflowed).toBe(true);
    expect(maxBuffered).toBeLessThanOrEqual(MAX_STREAM_FRAME_CHARS);
    expect(fed).toBeLessThanOrEqual(MAX_STREAM_FRAME_CHARS + READ);
    expect(reader.buffered).toBe(0);
    // What came before the oversized frame was delivered; nothing after it is.
    expect(events).toEqual(['{"a":1}']);
    reader.feed('"}\n\ndata: {"b":2}\n\n');
    reader.end();
    expect(events).toEqual(['{"a":1}']);
  });

  it('SSE full parser (comments, CR line ends): the same cap, counted from the last blank line', () => {
    const events: string[] = [];
    const reader = new SseReader((text, start, end) => {
      events.push(text.slice(start, end));
      return true;
    });
    const { maxBuffered } = flood(reader, ': ping\r\n\r\ndata: 1\r\n\r\nevent: x\r\ndata: ', 2 * MiB);
    expect(reader.overflowed).toBe(true);
    expect(maxBuffered).toBeLessThanOrEqual(MAX_STREAM_FRAME_CHARS);
    expect(events).toEqual(['1']);
  });

  it('SSE full parser: many frames adding up past the cap are fine, each one is small', () => {
    const events: string[] = [];
    const reader = new SseReader((text, start, end) => {
      events.push(text.slice(start, end));
      return true;
    });
    const frame = `: keep-alive\n\nevent: delta\ndata: ${'y'.repeat(1000)}\n\n`;
    for (let i = 0; i < 3000; i++) reader.feed(frame);
    reader.end();
    expect(reader.overflowed).toBe(false);
    expect(events).toHaveLength(3000);
  });

  it('a whole frame over the cap that arrives in one read is refused too', () => {
    const reader = new SseReader(() => true, 1000);
    reader.feed(`data: ${'z'.repeat(1001)}\n\n`);
    expect(reader.overflowed).toBe(true);
    const ok = new SseReader(() => true, 1000);
    ok.feed(`data: ${'z'.repeat(900)}\n\n`);
    expect(ok.overflowed).toBe(false);
  });

  it('NDJSON (Ollama): a 2 MiB line without its newline is never held past the cap', () => {
    const lines: string[] = [];
    const reader = new NdjsonReader((text, start, end) => {
      lines.push(text.slice(start, end));
      return true;
    });
    const { maxBuffered } = flood(reader, '{"a":1}\n{"message":{"content":"', 2 * MiB);
    expect(reader.overflowed).toBe(true);
    expect(maxBuffered).toBeLessThanOrEqual(MAX_STREAM_FRAME_CHARS);
    expect(reader.buffered).toBe(0);
    reader.end();
    expect(lines).toEqual(['{"a":1}']);
  });
});
