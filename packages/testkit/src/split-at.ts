/**
 * Splits a text or a byte buffer at the given cut points (taken modulo its length + 1, sorted,
 * deduplicated): how property tests feed one stream to a reader in arbitrary chunks.
 */
export function splitAt(value: string, cuts: readonly number[]): string[];
export function splitAt(value: Buffer, cuts: readonly number[]): Buffer[];
export function splitAt(value: string | Buffer, cuts: readonly number[]): Array<string | Buffer> {
  const points = [...new Set(cuts.map((c) => c % (value.length + 1)))].sort((a, b) => a - b);
  const parts: Array<string | Buffer> = [];
  let from = 0;
  for (const p of [...points, value.length]) {
    parts.push(typeof value === 'string' ? value.slice(from, p) : value.subarray(from, p));
    from = p;
  }
  return parts;
}
