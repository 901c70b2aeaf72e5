export interface BatcherOptions<T> {
  /** Writes one batch durably; throwing keeps the items for the next attempt. */
  write: (items: T[]) => Promise<void>;
  batchSize: number;
  flushMs: number;
  /** Items kept while the target is away; beyond it the oldest are dropped (and reported). */
  maxBuffered?: number;
  /** Pause after a failed write before the next attempt. */
  retryMs?: number;
  onError?: (error: unknown, context: string) => void;
  /** How long `close()` tries to write what is left (default 5 s). */
  closeGraceMs?: number;
  /**
   * Takes what `close()` could not write within its grace (e.g. to a spool file), so shutdown
   * neither hangs on a target that is gone nor drops the items.
   */
  onAbandon?: (items: T[]) => Promise<unknown>;
}

export interface Batcher<T> {
  add(item: T): void;
  /** Resolves when everything added so far has been written. */
  flush(): Promise<void>;
  buffered(): number;
  close(): Promise<void>;
}

/**
 * Collects items into batches of `batchSize`, or whatever arrived within `flushMs`, and writes them
 * one batch at a time (in order). A failed write keeps its items at the front and is retried, so a
 * database or Redis outage delays usage records instead of losing them (up to `maxBuffered`).
 */
export function createBatcher<T>(options: BatcherOptions<T>): Batcher<T> {
  const maxBuffered = options.maxBuffered ?? 200_000;
  const retryMs = options.retryMs ?? 500;
  const onError = options.onError ?? (() => undefined);
  let buffer: T[] = [];
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let closed = false;
  let failing = false;
  const waiters: Array<{ upTo: number; resolve: () => void }> = [];
  /** Count of items ever written; flush() waits for the count at its call. */
  let added = 0;
  let written = 0;

  const settleWaiters = (): void => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i];
      if (waiter && waiter.upTo <= written) {
        waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  };

  const schedule = (delay: number): void => {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = null;
      void drain(true);
    }, delay);
    timer.unref();
  };

  /**
   * Items up to this count (of all ever added) are due now, a partial batch too: set by the timer and
   * by flush() to what had been added at that moment. Full batches are written anyway. What arrives
   * while that write is in flight waits for its own timer (started by its first item) or a full
   * batch: letting it ride along made a sink under steady load write one small batch per write round
   * trip, a few events per job (docs/usage.md "Where usage goes").
   */
  let dueUpTo = 0;
  const drain = (force: boolean): Promise<void> => {
    if (force) dueUpTo = added;
    if (running) return running;
    running = (async () => {
      while (buffer.length >= options.batchSize || (written < dueUpTo && buffer.length > 0)) {
        const batch = buffer.slice(0, options.batchSize);
        try {
          await options.write(batch);
        } catch (error) {
          if (!failing) onError(error, 'batch write failed; will retry');
          failing = true;
          break;
        }
        failing = false;
        buffer = buffer.slice(batch.length);
        written += batch.length;
        settleWaiters();
      }
    })().finally(() => {
      running = null;
      if (buffer.length === 0) return;
      const due = !failing && (buffer.length >= options.batchSize || written < dueUpTo);
      // Due now (a flush() that came as the loop ended): not after the timer a later add() started.
      if (due && timer) {
        clearTimeout(timer);
        timer = null;
      }
      schedule(failing ? retryMs : due ? 0 : options.flushMs);
    });
    return running;
  };

  const flush = (): Promise<void> => {
    if (written >= added) return Promise.resolve();
    const done = new Promise<void>((resolve) => waiters.push({ upTo: added, resolve }));
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    void drain(true);
    return done;
  };

  return {
    add(item) {
      if (closed) {
        onError(new Error('batcher is closed'), 'item dropped');
        return;
      }
      buffer.push(item);
      added += 1;
      if (buffer.length > maxBuffered) {
        const dropped = buffer.length - maxBuffered;
        buffer = buffer.slice(dropped);
        written += dropped; // counted as settled so flush() cannot wait forever
        onError(new Error(`dropped ${dropped} buffered items (limit ${maxBuffered})`), 'buffer full');
      }
      if (buffer.length >= options.batchSize && !failing) {
        if (timer) {
          clearTimeout(timer);
          timer = null;
        }
        void drain(false);
      } else {
        schedule(options.flushMs);
      }
    },
    flush,
    buffered: () => buffer.length,
    async close() {
      if (closed) return;
      // Try to write what is left, but do not hang shutdown on a target that is gone.
      const grace = options.closeGraceMs ?? 5_000;
      await Promise.race([flush(), new Promise((resolve) => setTimeout(resolve, grace).unref())]);
      closed = true;
      if (timer) clearTimeout(timer);
      if (buffer.length === 0) return;
      // A write may still be in flight: its items go along too (writers insert-or-ignore on the id).
      const left = buffer;
      buffer = [];
      if (options.onAbandon === undefined) {
        onError(new Error(`${left.length} items not written before shutdown`), 'items dropped');
        return;
      }
      await options.onAbandon(left).catch((error: unknown) => onError(error, `${left.length} items dropped`));
    },
  };
}
