/** Counts requests being served; `drained` resolves once none is (or after `maxMs`). */
export interface InFlight {
  add(): void;
  done(): void;
  drained(maxMs: number): Promise<void>;
}

export function createInFlight(): InFlight {
  let count = 0;
  let waiters: Array<() => void> = [];
  return {
    add: () => void count++,
    done: () => {
      count--;
      if (count > 0 || waiters.length === 0) return;
      const settled = waiters;
      waiters = [];
      for (const resolve of settled) resolve();
    },
    drained: (maxMs) =>
      count === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, maxMs);
            timer.unref();
            waiters.push(() => {
              clearTimeout(timer);
              resolve();
            });
          }),
  };
}
