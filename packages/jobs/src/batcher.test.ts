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
