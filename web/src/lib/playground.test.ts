import { describe, expect, it } from 'vitest';
import { answerText, pickHeaders, streamText } from './playground';

describe('playground helpers', () => {
  it('joins stream deltas, ignores [DONE] and a partial last line, and shows a stream error', () => {
    const sse = [
      'data: {"choices":[{"delta":{"role":"assistant"}}]}',
      'data: {"choices":[{"delta":{"content":"Hel"}}]}',
      'data: {"choices":[{"delta":{"content":"lo"}}]}',
      'data: {"error":{"message":"upstream_stream_interrupted"}}',
      'data: [DONE]',
      'data: {"choices":[{"del',
    ].join('\n');
    expect(streamText(sse)).toBe('Hello\n[error] upstream_stream_interrupted');
  });

  it("reads a whole answer's text or its error message", () => {
    expect(answerText({ choices: [{ message: { content: 'hi' } }] })).toBe('hi');
    expect(answerText({ error: { message: 'no such route' } })).toBe('[error] no such route');
  });

  it("keeps only the gateway's headers, in a fixed order", () => {
    const headers = new Headers({
      'x-request-id': 'r1',
      'content-type': 'text/plain',
      'x-aisbf-route': 'user-rotation/a',
    });
    expect(pickHeaders(headers)).toEqual([
      ['x-aisbf-route', 'user-rotation/a'],
      ['x-request-id', 'r1'],
    ]);
  });
});
