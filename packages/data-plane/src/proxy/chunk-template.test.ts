import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkFacts } from './chunk-facts';
import { learnChunkTemplate, readTemplatedText, type ChunkTemplate } from './chunk-template';

const chunk = (content: unknown, extra: Record<string, unknown> = {}, finish: string | null = null): string =>
  JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm1',
    choices: [{ index: 0, delta: { content }, finish_reason: finish }],
    ...extra,
  });

function learn(data: string): ChunkTemplate {
  const facts = chunkFacts(data);
  expect(facts).not.toBeNull();
  const template = learnChunkTemplate(data, facts!);
  expect(template).not.toBeNull();
  return template!;
}

describe('chunk templates (relay without JSON.parse)', () => {
  const template = learn(chunk('Hello'));

  it('reads the text of any chunk in the same frame exactly as JSON.parse would', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const data = chunk(text);
        expect(readTemplatedText(template, data)).toBe(text);
        expect(chunkFacts(data)!.text).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('never accepts a payload JSON.parse rejects, nor reads a text JSON.parse would not', () => {
    // Arbitrary bytes where the content string goes: whatever the fast path accepts must be a
    // valid chunk with that very text (else a malformed chunk would be forwarded).
    const middle = fc.oneof(
      fc.string(),
      fc.string().map((s) => `"${s}"`),
      fc.constantFrom('"a\\"', '"\\u12"', '"a"b"', '"\\x"', '"\n"', '""', '"\\\\"', '"\\ud800"'),
    );
    fc.assert(
      fc.property(middle, (m) => {
        const data = template.prefix + m + template.suffix;
        const fast = readTemplatedText(template, data);
        if (fast === null) return;
        const facts = chunkFacts(data);
        expect(facts).not.toBeNull();
        expect(facts!.text).toBe(fast);
        expect(facts!.hasContent).toBe(fast !== '' || template.emptyHasContent);
      }),
      { numRuns: 1000 },
    );
  });

  it('falls back (null) on chunks in another frame', () => {
    expect(readTemplatedText(template, chunk('x', {}, 'stop'))).toBeNull();
    expect(readTemplatedText(template, chunk('x', { usage: { prompt_tokens: 1, completion_tokens: 2 } }))).toBeNull();
    expect(readTemplatedText(template, '{not json')).toBeNull();
    expect(readTemplatedText(template, chunk(5))).toBeNull();
  });

  it('learns only plain text chunks whose text position is proven', () => {
    const usage = chunk('x', { usage: { prompt_tokens: 1, completion_tokens: 2 } });
    expect(learnChunkTemplate(usage, chunkFacts(usage)!)).toBeNull();
    const role = JSON.stringify({
      id: 'c',
      choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }],
    });
    expect(learnChunkTemplate(role, chunkFacts(role)!)).toBeNull();
    // The text also appears after the content (in a later field): the last occurrence is not the
    // content, so the probes reject the frame rather than read the wrong string.
    const clash = JSON.stringify({
      choices: [{ index: 0, delta: { content: 'm1' }, finish_reason: null }],
      model: 'm1',
    });
    expect(learnChunkTemplate(clash, chunkFacts(clash)!)).toBeNull();
  });

  it('keeps a finish reason in the frame as content even when the text is empty', () => {
    const finishing = learn(chunk('end', {}, 'stop'));
    expect(finishing.emptyHasContent).toBe(true);
    expect(template.emptyHasContent).toBe(false);
    const empty = chunk('', {}, 'stop');
    expect(readTemplatedText(finishing, empty)).toBe('');
    expect(chunkFacts(empty)!.hasContent).toBe(true);
  });

  it('reads a chunk in place inside a larger text exactly as on its own', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string(), fc.string(), (text, before, after) => {
        const data = chunk(text);
        const around = `${before}${data}${after}`;
        expect(readTemplatedText(template, around, before.length, before.length + data.length)).toBe(text);
      }),
      { numRuns: 300 },
    );
    // The frame must end where the chunk ends, not somewhere after it.
    const data = chunk('x');
    expect(readTemplatedText(template, `${data}${data}`, 0, data.length + 3)).toBeNull();
  });
});
