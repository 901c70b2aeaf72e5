import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { scaleChat } from './scale-chat';
import { scaleToken } from './scale-seed';

/** What the thread needs to serve the bench's users (docs/benchmarks.md "Scale"). */
export interface BackgroundLoadOptions {
  /** The data-plane nodes' base URLs; requests alternate between them. */
  urls: string[];
  /** Users 0…served−1 have been served: the load asks for theirs. */
  served: number;
  tokenSeed: string;
  /** Requests in flight at once. */
  lanes: number;
}

export interface BackgroundLoad {
  /** Ends the lanes after their requests in flight; how many answered 200 and how many did not. */
  stop(): Promise<{ served: number; failed: number }>;
}

const ROLE = 'aisbf-scale-background-load';

/**
 * Requests of already served users on every node, from a worker thread of its own, while the
 * bench's main thread times the propagation of changes. In the main thread these requests' objects
 * made the timing thread's heap collect often; on the loaded 2-core box its GC took 38–131 ms
 * within single samples, and where a change had already reached both nodes at the first poll,
 * that pause was most of the sample (docs/benchmarks.md "Scale: what the bench itself adds").
 * A thread has its own heap and event loop, so its garbage and callbacks no longer land in the
 * timed polls; it still shares the CPUs, as any client would.
 */
export async function startBackgroundLoad(options: BackgroundLoadOptions): Promise<BackgroundLoad> {
  const file = fileURLToPath(import.meta.url);
  // tsx's require hook works inside a thread (its ESM loader does not, on Node 20), as in
  // packages/jobs/src/thread-usage-sink.ts.
  const tsx = createRequire(import.meta.url).resolve('tsx/cjs');
  const worker = new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(file)});`, {
    eval: true,
    workerData: { role: ROLE, options },
  });
  // The thread says 'started' once its lanes run, then sends its counts when told to stop.
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const result = new Promise<{ served: number; failed: number }>((resolve, reject) => {
    worker.on('message', (message: 'started' | { served: number; failed: number }) => {
      if (message === 'started') started();
      else resolve(message);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the background load thread exited (code ${code})`)));
  });
  // A thread that fails before stop() is reported by stop(), not as an unhandled rejection.
  result.catch(() => undefined);
  await Promise.race([running, result]);
  return {
    async stop() {
      worker.postMessage('stop');
      const counts = await result;
      await worker.terminate();
      return counts;
    },
  };
}

/** The thread's side: `lanes` loops of requests until the main thread says stop. */
async function runLanes(options: BackgroundLoadOptions): Promise<void> {
  let running = true;
  parentPort!.once('message', () => {
    running = false;
  });
  let served = 0;
  let failed = 0;
  const { urls, lanes } = options;
  parentPort!.postMessage('started');
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let k = lane; running; k += lanes) {
        const user = (k * 7919) % options.served;
        const ok = await scaleChat(urls[k % urls.length]!, scaleToken(options.tokenSeed, user)).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ok) served += 1;
        else failed += 1;
      }
    }),
  );
  parentPort!.postMessage({ served, failed });
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === ROLE)
  void runLanes((workerData as { options: BackgroundLoadOptions }).options);
