// @vitest-environment node
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonErrorOffset, lineColumn } from './json-error-offset';

describe('jsonErrorOffset', () => {
  it('finds the offending character', () => {
    const text = '{\n  "rotations": {\n    "x": { "providers": [ }\n  }\n}';
    const at = jsonErrorOffset(text);
    expect(text[at]).toBe('}');
    expect(lineColumn(text, at)).toEqual({ line: 3, column: 27 });
    expect(jsonErrorOffset('{"a": 1,}')).toBe(8);
    expect(jsonErrorOffset('{"a": tru}')).toBe(6);
    expect(jsonErrorOffset('{"a": 1} x')).toBe(9);
    expect(jsonErrorOffset('{"a": "x')).toBe(8);
  });

  it('agrees with JSON.parse on what is valid', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string()), (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        expect(jsonErrorOffset(text) === -1).toBe(valid);
      }),
      { numRuns: 500 },
    );
  });
});
