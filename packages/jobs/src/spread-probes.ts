export interface SpreadOptions {
  /** The window the starts are spread over. */
  spreadMs: number;
  /** Runs in flight at once. */
  concurrency: number;
  random?: () => number;
}

/**
 * Runs `run` for each item, each starting at a random offset within `spreadMs` (jitter: probes of
 * many providers behind one upstream host do not arrive as one burst every interval), never more
 * than `concurrency` at once. Results keep the items' order.
 */
export async function spreadRuns<T, R>(
  items: ReadonlyArray<T>,
  run: (item: T) => Promise<R>,
  options: SpreadOptions,
): Promise<R[]> {
  const random = options.random ?? Math.random;
  const start = Date.now();
  const queue = items
    .map((item, index) => ({ item, index, at: Math.floor(random() * Math.max(0, options.spreadMs)) }))
    .sort((a, b) => a.at - b.at);
  const results = new Array<R>(items.length);
  const lane = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const wait = start + next.at - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      results[next.index] = await run(next.item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, items.length)) }, lane));
  return results;
}
