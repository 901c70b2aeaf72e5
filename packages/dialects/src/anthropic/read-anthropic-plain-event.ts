/** The events of an Anthropic stream that carry nothing but their type (and a block index). */
export type AnthropicPlainEvent = 'ping' | 'content_block_stop' | 'text_block_start' | 'message_stop';

const INDEX = '(?:0|[1-9][0-9]*)';
const PLAIN = new RegExp(
  `^\\{"type": ?(?:"(ping)"|"(message_stop)"|"(content_block_stop)","index":${INDEX}|"(content_block_start)","index":${INDEX},"content_block":\\{"type":"text","text":""\\})\\}$`,
);

/**
 * Which plain event `payload` is, when it is written exactly as Anthropic writes it (`ping` also
 * with the space the API puts after the colon), read without `JSON.parse` or the event schema;
 * null for anything else (the caller parses it fully, so null never means malformed). A payload
 * this matches is valid JSON by construction. With text deltas (read-anthropic-text-delta.ts)
 * these are all but two events of a text answer.
 */
export function readAnthropicPlainEvent(payload: string): AnthropicPlainEvent | null {
  if (payload.length > 120) return null;
  const m = PLAIN.exec(payload);
  if (m === null) return null;
  if (m[1] !== undefined) return 'ping';
  if (m[2] !== undefined) return 'message_stop';
  if (m[3] !== undefined) return 'content_block_stop';
  return 'text_block_start';
}
