import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anthropicBackend } from './anthropic-backend';
import { readAnthropicPlainEvent } from './read-anthropic-plain-event';
import { readAnthropicTextDelta } from './read-anthropic-text-delta';

const payloads = (name: string): string[] =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
    .split('\n\n')
    .flatMap((frame) => frame.split('\n').filter((l) => l.startsWith('data: ')))
    .map((l) => l.slice(6));

const delta = (text: string, index = 0): string =>
  JSON.stringify({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } });

/** What a full parse reads as the text of a text delta (null: not one). */
const parsedText = (payload: string): string | null => {
  try {
    const json = JSON.parse(payload) as { type?: unknown; delta?: { type?: unknown; text?: unknown } };
    return json.type === 'content_block_delta' &&
      json.delta?.type === 'text_delta' &&
      typeof json.delta.text === 'string'
      ? json.delta.text
      : null;
  } catch {
    return null;
  }
};

/** The same event as JSON with a space after its first comma: never on a fast path, always parsed. */
const spaced = (payload: string): string => payload.replace(',', ', ');
const plain = [
  '{"type":"ping"}',
  '{"type": "ping"}',
  '{"type":"message_stop"}',
  '{"type":"content_block_stop","index":3}',
  '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
];

describe('Anthropic stream fast paths', () => {
  it('reads the text of any text delta in Anthropic layout, escapes and non-ASCII included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.nat(40), (text, index) => {
        expect(readAnthropicTextDelta(delta(text, index))).toBe(text);
      }),
      { numRuns: 500 },
    );
    expect(readAnthropicTextDelta(delta('say "hi"\n\\ é 🎉'))).toBe('say "hi"\n\\ é 🎉');
    // Escapes JSON.stringify would not write (a vendor may): still read as JSON reads them.
    expect(readAnthropicTextDelta(delta('x').replace('"x"', '"\\u00e9\\/"'))).toBe('é/');
  });

  it('never answers for a payload that is not exactly a valid text delta (the caller parses it)', () => {
    for (const p of [
      delta('a').replace('"index":0', '"index":01'),
      delta('a').replace('"index":0', '"index":'),
      delta('a').replace('"a"', '"a"b"'),
      delta('a').replace('"a"', '"a\\"'),
      delta('a').replace('"a"', '"a\u0001"'),
      delta('a').slice(0, -1),
      '{"type": "content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}',
      '{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{}"}}',
      '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a","x":1}}',
    ])
      expect(readAnthropicTextDelta(p), p).toBeNull();
    // Random damage to a delta: whatever it reads is what a full parse reads, and only from valid JSON.
    fc.assert(
      fc.property(fc.string(), fc.nat(200), fc.nat(3), fc.string({ maxLength: 3 }), (text, at, cut, insert) => {
        const p = delta(text);
        const damaged = p.slice(0, at % (p.length + 1)) + insert + p.slice((at % (p.length + 1)) + cut);
        const fast = readAnthropicTextDelta(damaged);
        if (fast !== null) expect(fast).toBe(parsedText(damaged));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads the events that carry only their type, and only in their exact layout', () => {
    expect(plain.map(readAnthropicPlainEvent)).toEqual([
      'ping',
      'ping',
      'message_stop',
      'content_block_stop',
      'text_block_start',
    ]);
    for (const p of [
      '{"type":"ping"',
      '{"type":"content_block_stop","index":0"}',
      '{"type":"content_block_stop","index":01}',
      '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"a"}}',
      '{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"n","input":{}}}',
      '{"type":"message_stop","x":1}',
      ...plain.map(spaced).filter((p) => p.includes(', ')),
    ])
      expect(readAnthropicPlainEvent(p), p).toBeNull();
    // Random damage: whatever it still reads is valid JSON of that type.
    fc.assert(
      fc.property(
        fc.constantFrom(...plain),
        fc.nat(120),
        fc.nat(2),
        fc.string({ maxLength: 2 }),
        (p, at, cut, insert) => {
          const damaged = p.slice(0, at % (p.length + 1)) + insert + p.slice((at % (p.length + 1)) + cut);
          const type = readAnthropicPlainEvent(damaged);
          if (type !== null)
            expect((JSON.parse(damaged) as { type: string }).type).toBe(
              type === 'text_block_start' ? 'content_block_start' : type,
            );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("gives the stream transcoder's fast path exactly the chunks its full path gives", () => {
    const all = [...payloads('text-and-tool-use.sse.txt'), delta('tab\there "q" é'), delta('')];
    const full = anthropicBackend.createStreamTranscoder({ model: 'claude-x', created: 7 });
    const fast = anthropicBackend.createStreamTranscoder({ model: 'claude-x', created: 7 });
    let fastHits = 0;
    for (const p of all) {
      const slow = full.push(p);
      if (!slow.ok) throw new Error(slow.error);
      const viaJson = fast.pushJson!(p);
      if (viaJson !== null) fastHits++;
      const got = viaJson ?? (fast.push(p) as { ok: true; value: unknown[] }).value.map((c) => JSON.stringify(c));
      expect(got).toEqual(slow.value.map((c) => JSON.stringify(c)));
    }
    const plainOrDelta = (p: string): boolean =>
      readAnthropicTextDelta(p) !== null || readAnthropicPlainEvent(p) !== null;
    expect(fastHits).toBe(all.filter(plainOrDelta).length);
    expect(fastHits).toBeGreaterThanOrEqual(6);
  });

  it("gives the pass-through reader the same facts as a full parse, and frames under the event's name", () => {
    const reader = anthropicBackend.passthrough.createReader();
    expect(reader.read('{"type":"message_start","message":{"usage":{"input_tokens":3}}}')?.usage?.prompt).toBe(3);
    expect(reader.read(delta('one two'))).toEqual({
      text: 'one two',
      hasContent: true,
      usage: null,
      error: null,
      done: false,
    });
    expect(reader.frame(delta('x'))).toBe(`event: content_block_delta\ndata: ${delta('x')}\n\n`);
    expect(reader.read('{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"')).toBeNull();
    // Each fast-path event reads and frames as the same event parsed in full does.
    for (const p of [...plain, delta('x y')]) {
      const full = anthropicBackend.passthrough.createReader();
      const slow = p.includes(',') ? spaced(p) : p.replace(':', ' : ');
      expect(readAnthropicPlainEvent(slow) ?? readAnthropicTextDelta(slow)).toBeNull();
      const want = full.read(slow);
      expect(reader.read(p), p).toEqual(want);
      expect(reader.frame(p).split('\n')[0]).toBe(full.frame(slow).split('\n')[0]);
    }
  });
});
