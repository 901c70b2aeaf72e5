/**
 * Decodes a byte stream chunk by chunk, like `TextDecoder#decode(chunk, { stream: true })`, but
 * takes `Buffer#toString` (about 5× cheaper per SSE chunk) whenever no multi-byte character can be
 * split: the decoder holds nothing back and the chunk ends in an ASCII byte (SSE events end in
 * `\n`). A leading BOM is dropped, as TextDecoder drops it. The TextDecoder itself is made only when
 * a chunk needs it: most streams never do, and making one (with its ICU converter) for every
 * request showed as ~2 % of a busy node's time (docs/benchmarks.md "Stream path tuning").
 */
export interface Utf8ChunkDecoder {
  decode(chunk: Buffer): string;
  /**
   * The last `decode` read that chunk on its own: nothing carried in from the chunk before, nothing
   * held back for the next, no BOM dropped. Then relaying the chunk's bytes is relaying the text.
   */
  readonly exact: boolean;
}

const BOM = [0xef, 0xbb, 0xbf] as const;

/**
 * A class, not a closure returning an object literal with a getter: one allocation per stream
 * and plain field reads (the literal's getter was ~1.6 µs a stream; docs/benchmarks.md "The routing core's CPU").
 */
class ChunkDecoder implements Utf8ChunkDecoder {
  private decoder: TextDecoder | null = null;
  private first = true;
  // True while the decoder may hold the start of a character split across chunks.
  private holding = false;
  exact = false;

  decode(chunk: Buffer): string {
    // An empty read changes nothing (a held partial character stays held, a BOM may still come).
    if (chunk.length === 0) return '';
    const last = chunk[chunk.length - 1]!;
    if (this.holding || last >= 0x80) {
      // Made at the stream's start it drops a BOM like the rest of this decoder; made later, a
      // U+FEFF mid-stream is text and stays.
      this.decoder ??= new TextDecoder('utf-8', { ignoreBOM: !this.first });
      this.first = false;
      this.holding = last >= 0x80;
      this.exact = false;
      return this.decoder.decode(chunk, { stream: true });
    }
    if (this.first) {
      this.first = false;
      if (chunk.length >= 3 && chunk[0] === BOM[0] && chunk[1] === BOM[1] && chunk[2] === BOM[2]) {
        this.exact = false;
        return chunk.toString('utf8', 3);
      }
    }
    this.exact = true;
    return chunk.toString('utf8');
  }
}

export function createUtf8ChunkDecoder(): Utf8ChunkDecoder {
  return new ChunkDecoder();
}
