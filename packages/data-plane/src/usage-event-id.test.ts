import { usageEventSchema } from '@aisbf/core';
import { describe, expect, it } from 'vitest';
import { usageRecord } from './usage-record';
import { usageEventId } from './usage-event-id';

/** RFC 9562 UUIDv7 text: version nibble 7, variant bits 10. */
const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const msOf = (id: string): number => parseInt(id.slice(0, 8) + id.slice(9, 13), 16);

describe('usageEventId', () => {
  it('is a UUIDv7 of the current millisecond, unique and in creation order, many per millisecond included', () => {
    const before = Date.now();
    const ids = Array.from({ length: 20_000 }, () => usageEventId());
    const after = Date.now();
    for (const id of ids) expect(id).toMatch(V7);
    expect(new Set(ids).size).toBe(ids.length);
    // Sorted as strings (as the database's primary key sorts them) they keep the order they were made in.
    expect([...ids].sort()).toEqual(ids);
    const ms = ids.map(msOf);
    expect(ms[0]).toBeGreaterThanOrEqual(before);
    expect(ms.at(-1)).toBeLessThanOrEqual(after);
    // The same-millisecond case was really exercised: most ids share their millisecond with the one before.
    const sameMs = ms.filter((m, i) => i > 0 && m === ms[i - 1]).length;
    expect(sameMs).toBeGreaterThan(ids.length / 2);
  });

  it('is what the data plane stamps on a usage event, and the event schema (jobs, spool) accepts it', () => {
    const event = usageRecord({
      at: Date.now(),
      userId: 'u1',
      tokenId: 't1',
      route: 'r',
      status: 401,
      attempts: [],
      autoselectReason: null,
    });
    expect(event.id).toMatch(V7);
    // The request id stays a random (v4) id: it is user-visible, its format unchanged.
    expect(event.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(usageEventSchema.parse(event).id).toBe(event.id);
    // An id stored before (random v4) still validates: nothing depends on the version.
    expect(usageEventSchema.parse({ ...event, id: 'a2a7c3e4-5f1b-4d0c-9a8e-0123456789ab' }).id).toBe(
      'a2a7c3e4-5f1b-4d0c-9a8e-0123456789ab',
    );
  });
});
