import { randomFillSync } from 'node:crypto';
import { V7Generator } from 'uuidv7';

/**
 * Random 32-bit words for the generator, drawn from OpenSSL 1,024 at a time. Written by hand on a
 * measured hot path (one id per request): a draw costs about the same whatever its size (~4 µs on
 * the bench box), and the library's own buffer of 8 words made an id cost ~1 µs against ~0.4 µs
 * with this one (docs/benchmarks.md "The cluster's usage pipeline").
 */
class PooledRandom {
  private readonly words = new Uint32Array(1_024);
  private next = this.words.length;

  nextUint32(): number {
    if (this.next === this.words.length) {
      randomFillSync(this.words);
      this.next = 0;
    }
    return this.words[this.next++]!;
  }
}

const generator = new V7Generator(new PooledRandom());

/**
 * A usage event's id: a UUIDv7 (RFC 9562: 48-bit ms timestamp, a counter, random bits). Ids are the
 * primary key of `usage_records`, InnoDB's clustered index: time-ordered ids land at the end of the
 * B-tree instead of at a random page, which MariaDB paid for per event and more as the table grew
 * (docs/benchmarks.md "The cluster's usage pipeline"). Within this process each id sorts after the
 * one before, even in the same millisecond (the library's counter). Dedupe compares ids for
 * equality only, so the random (v4) ids already stored keep working.
 */
export const usageEventId = (): string => generator.generate().toString();
