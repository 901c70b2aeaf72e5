import { describe, expect, it } from 'vitest';
import { NdjsonReader } from './ndjson-reader';

const read = (chunks: string[], stopAfter = Infinity): string[] => {
  const out: string[] = [];
  const reader = new NdjsonReader((text, start, end) => {
    out.push(text.slice(start, end));
    return out.length < stopAfter;
  });
  for (const c of chunks) reader.feed(c);
  reader.end();
  return out;
};

describe('NdjsonReader', () => {
  it('gives one payload a line, whatever the reads cut, blank and CRLF lines included', () => {
    expect(read(['{"a":1}\n{"b"', ':2}\r\n\n', '{"c":3}'])).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('keeps multi-byte text intact across reads and stops when the handler says so', () => {
    expect(read(['{"t":"é', 'ü"}\n'])).toEqual(['{"t":"éü"}']);
    expect(read(['1\n2\n3\n'], 2)).toEqual(['1', '2']);
  });
});
