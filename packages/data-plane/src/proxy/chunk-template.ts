import { readJsonStringLiteral } from '@aisbf/dialects';
import { chunkFacts, type ChunkFacts } from './chunk-facts';

/**
 * The frame around one stream's text chunks: everything before and after the content string.
 * Backends repeat the same frame on every chunk (same id, created, model, index, finish_reason
 * null), so once it is known a chunk that matches it is valid JSON with the same facts and only
 * its text differs: the relay forwards it without `JSON.parse` (~3.5 µs a chunk, the largest cost
 * aisbf had per chunk beyond a byte pipe; docs/benchmarks.md).
 */
export interface ChunkTemplate {
  readonly prefix: string;
  readonly suffix: string;
  /** `hasContent` of a matching chunk whose text is empty (true when the frame holds a finish reason). */
  readonly emptyHasContent: boolean;
}

/**
 * Learns the frame from a chunk already parsed. Null when the chunk carries anything but text
 * (usage, error, tool calls are read through the slow path) or the text's position cannot be
 * proven: the frame is checked by parsing it around two probe strings, once per stream.
 */
export function learnChunkTemplate(data: string, facts: ChunkFacts): ChunkTemplate | null {
  if (facts.text === '' || facts.usage !== null || facts.error !== undefined || facts.usageOnly) return null;
  const literal = JSON.stringify(facts.text);
  const at = data.lastIndexOf(literal);
  if (at < 0) return null;
  const prefix = data.slice(0, at);
  const suffix = data.slice(at + literal.length);
  const probe = chunkFacts(`${prefix}"x"${suffix}`);
  if (probe === null || probe.text !== 'x' || probe.usage !== null || probe.error !== undefined || probe.usageOnly)
    return null;
  const empty = chunkFacts(`${prefix}""${suffix}`);
  if (empty === null || empty.text !== '') return null;
  return { prefix, suffix, emptyHasContent: empty.hasContent };
}

/**
 * The text of a chunk that matches the frame, or null when it does not (or its content is not one
 * plain JSON string): the caller then parses it fully, so null never means "malformed". The chunk
 * is `data.slice(start, end)`, read in place (the relay hands over offsets into an upstream read).
 */
export function readTemplatedText(template: ChunkTemplate, data: string, start = 0, end = data.length): string | null {
  const from = start + template.prefix.length;
  const to = end - template.suffix.length;
  // `substring ===` (a slice and a memcmp) rather than `startsWith(x, position)`, which V8 runs
  // character by character: 40 ns against 80–330 ns for a 130-character frame (the relay's hottest line).
  if (to - from < 2 || data.substring(start, from) !== template.prefix || data.substring(to, end) !== template.suffix)
    return null;
  return readJsonStringLiteral(data, from, to);
}
