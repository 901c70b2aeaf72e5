/**
 * Decodes a byte stream chunk by chunk, like `TextDecoder#decode(chunk, { stream: true })`, but
 * takes `Buffer#toString` (about 5× cheaper per SSE chunk) whenever no multi-byte character can be
 * split: the decoder holds nothing back and the chunk ends in an ASCII byte (SSE events end in
 * `\n`). The first chunk always goes through TextDecoder, which drops a leading BOM.
 */
export interface Utf8ChunkDecoder {
  decode(chunk: Buffer): string;
  /**
   * The last `decode` read that chunk on its own: nothing carried in from the chunk before, nothing
   * held back for the next, no BOM dropped. Then relaying the chunk's bytes is relaying the text.
   */
  readonly exact: boolean;
}

export function createUtf8ChunkDecoder(): Utf8ChunkDecoder {
  const decoder = new TextDecoder();
  let first = true;
  // True while the decoder may hold the start of a character split across chunks.
  let holding = false;
  let exact = false;
  return {
    decode(chunk) {
      // An empty read changes nothing (a held partial character stays held, a BOM may still come).
      if (chunk.length === 0) return '';
      const last = chunk[chunk.length - 1]!;
      if (first || holding || last >= 0x80) {
        first = false;
        holding = last >= 0x80;
        exact = false;
        return decoder.decode(chunk, { stream: true });
      }
      exact = true;
      return chunk.toString('utf8');
    },
    get exact() {
      return exact;
    },
  };
}
