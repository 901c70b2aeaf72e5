import { describe, expect, it } from 'vitest';
import { createLeaseBook } from './lease-book';

const grant = { amount: 10, expiresAt: 1_000, limit: 6_400, claimed: 10 };

describe('LeaseBook.cover', () => {
  it('takes every amount when every item is covered, and nothing when one is not', () => {
    const book = createLeaseBook({ now: () => 0 });
    book.granted('a', { redisKey: 'a', ...grant }, 0);
    book.granted('b', { redisKey: 'b', ...grant, amount: 2 }, 0);
    const id = (item: { key: string }): string => item.key;

    const both = book.cover(
      [
        { key: 'a', amount: 3 },
        { key: 'b', amount: 2 },
      ],
      id,
      1,
    );
    expect(both.taken).toBe(true);
    expect(both.covered).toEqual([true, true]);
    expect([book.live('a', 1)?.avail, book.live('b', 1)?.avail]).toEqual([7, 0]);

    // b is empty now: a peek (amount 0) needs one unused unit, so nothing is taken from a either.
    const partial = book.cover(
      [
        { key: 'a', amount: 3 },
        { key: 'b', amount: 0 },
        { key: 'c', amount: 1 },
      ],
      id,
      1,
    );
    expect(partial.taken).toBe(false);
    expect(partial.covered).toEqual([true, false, false]);
    expect(partial.leases[2]).toBeUndefined();
    expect(book.live('a', 1)?.avail).toBe(7);
  });

  it('treats a lease past its expiry as absent', () => {
    const book = createLeaseBook({ now: () => 0 });
    book.granted('a', { redisKey: 'a', ...grant }, 0);
    const late = book.cover([{ key: 'a', amount: 1 }], (item) => item.key, 1_000);
    expect(late).toEqual({ leases: [undefined], covered: [false], taken: false });
  });
});
