import { describe, expect, it } from 'vitest';
import { createBatcher } from './batcher';

describe('createBatcher', () => {
  it('writes full batches at once and the rest after flushMs, in order', async () => {
    const batches: number[][] = [];
    const b = createBatcher<number>({ write: async (items) => void batches.push(items), batchSize: 3, flushMs: 20 });
    for (let i = 0; i < 7; i++) b.add(i);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(batches).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(batches).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    await b.close();
  });

  it('under steady adds writes about one batch per flushMs, not one per write round trip', async () => {
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    const sizes: number[] = [];
    const flushMs = 40;
    // A write takes 5 ms, as a Redis or database round trip does.
    const b = createBatcher<number>({
      write: async (items) => {
        sizes.push(items.length);
        await sleep(5);
      },
      batchSize: 10_000,
      flushMs,
    });
    const started = performance.now();
    for (let i = 0; i < 200; i++) {
      b.add(i);
      await sleep(1);
    }
    const elapsed = performance.now() - started;
    await b.flush();
    expect(sizes.reduce((sum, n) => sum + n, 0)).toBe(200);
    // Items arriving during a timer's write used to ride along, so after the first timer it wrote
    // back to back, one small batch per 5 ms write: ~elapsed / 5 writes instead of ~elapsed / 40.
    expect(sizes.length).toBeLessThanOrEqual(Math.ceil(elapsed / flushMs) + 2);
    await b.close();
  });

  it('flush() writes what was added before it, even while adds keep coming', async () => {
    const written: number[] = [];
    const b = createBatcher<number>({
      write: async (items) => {
        written.push(...items);
        await new Promise((resolve) => setTimeout(resolve, 5));
      },
      batchSize: 1_000,
      flushMs: 60_000,
    });
    for (let i = 0; i < 10; i++) b.add(i);
    const flushed = b.flush();
    for (let i = 10; i < 20; i++) b.add(i);
    await flushed;
    expect(written.slice(0, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await b.close();
  });

  it('keeps items through failed writes and flush() resolves once they are written', async () => {
    let failures = 2;
    const written: number[] = [];
    const errors: string[] = [];
    const b = createBatcher<number>({
      write: async (items) => {
        if (failures > 0) {
          failures -= 1;
          throw new Error('target away');
        }
        written.push(...items);
      },
      batchSize: 2,
      flushMs: 5,
      retryMs: 10,
      onError: (_e, context) => errors.push(context),
    });
    for (let i = 0; i < 5; i++) b.add(i);
    await b.flush();
    expect(written).toEqual([0, 1, 2, 3, 4]);
    expect(b.buffered()).toBe(0);
    expect(errors).toHaveLength(1); // reported once per outage, not per retry
    await b.close();
  });

  it('drops the oldest items beyond maxBuffered, reports it, and flush() still settles', async () => {
    let open = false;
    const written: number[] = [];
    const errors: string[] = [];
    const b = createBatcher<number>({
      write: async (items) => {
        if (!open) throw new Error('away');
        written.push(...items);
      },
      batchSize: 10,
      flushMs: 5,
      retryMs: 5,
      maxBuffered: 3,
      onError: (_e, context) => errors.push(context),
    });
    for (let i = 0; i < 5; i++) b.add(i);
    expect(b.buffered()).toBe(3);
    expect(errors).toContain('buffer full');
    open = true;
    await b.flush();
    expect(written).toEqual([2, 3, 4]);
    await b.close();
  });
  it('hands what close() could not write within its grace to onAbandon, the in-flight batch included', async () => {
    const abandoned: number[][] = [];
    const b = createBatcher<number>({
      // A target that never answers (a database that hangs, Redis away).
      write: () => new Promise<void>(() => undefined),
      batchSize: 2,
      flushMs: 5,
      closeGraceMs: 50,
      onAbandon: async (items) => void abandoned.push(items),
    });
    for (let i = 0; i < 5; i++) b.add(i);
    const started = Date.now();
    await b.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(abandoned).toEqual([[0, 1, 2, 3, 4]]);
    expect(b.buffered()).toBe(0);
  });

  it('reports the items it drops at close when there is nowhere to put them', async () => {
    const errors: string[] = [];
    const b = createBatcher<number>({
      write: () => new Promise<void>(() => undefined),
      batchSize: 10,
      flushMs: 5,
      closeGraceMs: 20,
      onError: (error, context) => errors.push(`${context}: ${(error as Error).message}`),
    });
    b.add(1);
    b.add(2);
    await b.close();
    expect(errors).toEqual(['items dropped: 2 items not written before shutdown']);
  });
});
