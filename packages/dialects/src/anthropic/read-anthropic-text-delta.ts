import { readJsonStringLiteral } from '../json-string-literal';

const HEAD = '{"type":"content_block_delta","index":';
const MID = ',"delta":{"type":"text_delta","text":';
const TAIL = '}}';

/**
 * The text of a `text_delta` event written exactly as Anthropic writes it
 * (`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"…"}}`), read
 * without `JSON.parse`: most events of a stream are these, and parsing each one was the largest
 * per-event cost of the Anthropic paths (docs/benchmarks.md "Dialects"). A payload in this exact
 * layout is valid JSON by construction. Null when the payload has any other shape (other fields,
 * spaces, another event): the caller then parses it fully, so null never means malformed.
 */
export function readAnthropicTextDelta(payload: string): string | null {
  const length = payload.length;
  // `substring ===` (a slice and a memcmp) rather than `startsWith`, which V8 runs char by char.
  if (payload.substring(0, HEAD.length) !== HEAD || payload.substring(length - TAIL.length) !== TAIL) return null;
  const first = HEAD.length;
  let at = first;
  for (let c = payload.charCodeAt(at); c >= 0x30 && c <= 0x39; c = payload.charCodeAt(++at));
  // A JSON number: digits, no leading zero.
  if (at === first || (at - first > 1 && payload.charCodeAt(first) === 0x30)) return null;
  if (payload.substring(at, at + MID.length) !== MID) return null;
  return readJsonStringLiteral(payload, at + MID.length, length - TAIL.length);
}
