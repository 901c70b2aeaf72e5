import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitAt } from '@aisbf/testkit';
import { createUtf8ChunkDecoder } from './utf8-chunk-decoder';

describe('utf8 chunk decoder', () => {
  it('decodes any split of any text exactly like a streaming TextDecoder', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.boolean(),
        (text, cuts, bom) => {
          const bytes = Buffer.from((bom ? '\ufeff' : '') + text, 'utf8');
          const parts = splitAt(bytes, cuts);
          const fast = createUtf8ChunkDecoder();
          const reference = new TextDecoder();
          const got = parts.map((p) => fast.decode(p)).join('');
          const want = parts.map((p) => reference.decode(p, { stream: true })).join('') + reference.decode();
          expect(got).toBe(want);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('replaces invalid bytes exactly like TextDecoder does', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 6 }), (chunks) => {
        const fast = createUtf8ChunkDecoder();
        const reference = new TextDecoder();
        const parts = chunks.map((c) => Buffer.from(c));
        expect(parts.map((p) => fast.decode(p)).join('')).toBe(
          parts.map((p) => reference.decode(p, { stream: true })).join(''),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('drops a leading BOM, whole or split, and says so; keeps one that comes later', () => {
    const withBom = createUtf8ChunkDecoder();
    expect(withBom.decode(Buffer.from('\ufeffdata: a\n\n', 'utf8'))).toBe('data: a\n\n');
    expect(withBom.exact).toBe(false);
    expect(withBom.decode(Buffer.from('\ufeffdata: b\n\n', 'utf8'))).toBe('\ufeffdata: b\n\n');
    const split = createUtf8ChunkDecoder();
    const bom = Buffer.from('\ufeff', 'utf8');
    expect(split.decode(bom.subarray(0, 2)) + split.decode(Buffer.concat([bom.subarray(2), Buffer.from('x\n')]))).toBe(
      'x\n',
    );
    const late = createUtf8ChunkDecoder();
    late.decode(Buffer.from('data: a\n'));
    expect(late.decode(Buffer.from('\ufeff€', 'utf8'))).toBe('\ufeff€');
  });

  it('keeps a character split between chunks whole', () => {
    const bytes = Buffer.from('data: é€😀\n\n', 'utf8');
    const decoder = createUtf8ChunkDecoder();
    const out = [bytes.subarray(0, 8), bytes.subarray(8, 11), bytes.subarray(11, 14), bytes.subarray(14)]
      .map((p) => decoder.decode(p))
      .join('');
    expect(out).toBe('data: é€😀\n\n');
  });

  it('says a chunk was read on its own only when its bytes are exactly the text it gave', () => {
    const decoder = createUtf8ChunkDecoder();
    const euro = Buffer.from('€', 'utf8');
    decoder.decode(Buffer.from('data: a\n\n'));
    expect(decoder.exact).toBe(true);
    decoder.decode(Buffer.from('data: b\n\n'));
    expect(decoder.exact).toBe(true);
    decoder.decode(Buffer.concat([Buffer.from('data: '), euro.subarray(0, 1)]));
    expect(decoder.exact).toBe(false); // ends inside a character: held back
    expect(decoder.decode(Buffer.concat([euro.subarray(1), Buffer.from('\n\n')]))).toBe('€\n\n');
    expect(decoder.exact).toBe(false); // carried the start of it in
    decoder.decode(Buffer.from('data: é\n\n', 'utf8'));
    expect(decoder.exact).toBe(true);
  });
});
