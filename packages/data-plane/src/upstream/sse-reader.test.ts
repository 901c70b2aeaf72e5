import { createParser } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitAt } from '@aisbf/testkit';
import { SseReader } from './sse-reader';

/** What the full WHATWG parser reads from the same chunks: the reference. */
function reference(chunks: readonly string[]): string[] {
  const events: string[] = [];
  const parser = createParser({ onEvent: (event) => void events.push(event.data) });
  for (const chunk of chunks) parser.feed(chunk);
  parser.feed('\n\n');
  return events;
}

interface Read {
  events: string[];
  framed: boolean[];
  whole: boolean[];
  /** Each event's bytes as received (`text.slice(frameStart, end + 2)`), null when not handed over whole. */
  frames: Array<string | null>;
}

function read(chunks: readonly string[]): Read {
  const out: Read = { events: [], framed: [], whole: [], frames: [] };
  let read: string[] = [];
  const reader = new SseReader((text, start, end, framed, frameStart) => {
    out.events.push(text.slice(start, end));
    out.framed.push(framed);
    if (framed) expect(text.slice(start - 6, end + 2)).toBe(`data: ${text.slice(start, end)}\n\n`);
    if (framed) expect(frameStart).toBe(start - 6);
    const frame = frameStart < 0 ? null : text.slice(frameStart, end + 2);
    if (frame !== null) expect(frame).toMatch(/^(event: [^\n]*\n)?data: [^\n]*\n\n$/);
    if (frame !== null) expect(frame.endsWith(`data: ${text.slice(start, end)}\n\n`)).toBe(true);
    out.frames.push(frame);
    read.push(frame ?? '\u0000');
    return true;
  });
  for (const chunk of chunks) {
    read = [];
    const whole = reader.feed(chunk);
    // A whole read is exactly its frames, in order: a relay may send its bytes as they came.
    if (whole) expect(read.join('')).toBe(chunk);
    out.whole.push(whole);
  }
  reader.end();
  return out;
}

const payload = fc.oneof(fc.json(), fc.string(), fc.constantFrom('[DONE]', '', ' x', 'a:b'));
const line = fc.oneof(
  payload.map((p) => `data: ${p}\n\n`),
  payload.map((p) => `data:${p}\n\n`),
  payload.map((p) => `data: ${p}\r\n\r\n`),
  payload.map((p) => `event: message\ndata: ${p}\n\n`),
  fc.constantFrom(': keep-alive\n\n', '\n', 'id: 7\n', 'retry: 10\n', 'data: a\ndata: b\n\n', 'data: x\r\n', 'dat'),
);

describe('SseReader', () => {
  it('reads the same events as eventsource-parser, for any mix of frames and any split', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), (lines, cuts) => {
        const chunks = splitAt(lines.join(''), cuts);
        expect(read(chunks).events).toEqual(reference(chunks));
      }),
      { numRuns: 1500 },
    );
  });

  it('hands over standard frames as offsets and says when a read is exactly whole frames', () => {
    const frames = ['data: {"a":1}\n\n', 'data: {"b":2}\n\n', 'data: [DONE]\n\n'];
    const got = read([frames[0]! + frames[1]!, frames[2]!.slice(0, 5), frames[2]!.slice(5)]);
    expect(got.events).toEqual(['{"a":1}', '{"b":2}', '[DONE]']);
    expect(got.framed).toEqual([true, true, true]);
    // The third frame was cut across two reads: neither read is whole frames on its own.
    expect(got.whole).toEqual([true, false, false]);
  });

  it("reads Anthropic's named events on the fast path, cut anywhere, each with its whole frame", () => {
    const named = 'event: message_start\ndata: {"type":"message_start"}\n\n';
    const stop = named.replace(/start/g, 'stop');
    const text = named + stop + 'data: {"c":3}\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      const got = read([text.slice(0, cut), text.slice(cut)]);
      expect(got.events).toEqual(['{"type":"message_start"}', '{"type":"message_stop"}', '{"c":3}']);
      // Had the named events sent the stream to the full parser, the last frame would not be `framed`.
      expect(got.framed).toEqual([false, false, true]);
      expect(got.frames).toEqual([named, stop, 'data: {"c":3}\n\n']);
      // A read is whole frames only when it is cut at a frame's end, nothing carried into the next.
      const boundary = cut === named.length || cut === named.length + stop.length;
      expect(got.whole).toEqual([boundary, boundary]);
    }
  });

  it('takes the full parser for good once a stream leaves the standard framing', () => {
    const got = read(['data: 1\n\n: ping\n\n', 'data: 2\n\n']);
    expect(got.events).toEqual(['1', '2']);
    expect(got.framed).toEqual([true, false]);
    expect(got.whole).toEqual([false, false]);
  });

  it('stops at once when the handler says so', () => {
    const seen: string[] = [];
    const reader = new SseReader((text, start, end) => {
      seen.push(text.slice(start, end));
      return seen.length < 2;
    });
    reader.feed('data: 1\n\ndata: 2\n\ndata: 3\n\n');
    reader.feed('data: 4\n\n');
    reader.end();
    expect(seen).toEqual(['1', '2']);
  });
});
