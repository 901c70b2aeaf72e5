import { Agent, request, type ClientRequest } from 'node:http';
import { chatBody, type LoadTarget } from './shapes';
import { readProcessMemory, type ProcessMemory } from './process-rss';

export interface OpenStreamsResult {
  requested: number;
  /** Streams that had delivered their first chunk and were still open when memory was sampled. */
  open: number;
  idle: ProcessMemory;
  loaded: ProcessMemory;
}

/**
 * Opens `count` streaming chat completions at once against a target whose upstream streams slowly,
 * waits until every one has delivered its first chunk (or `waitMs` passed), then samples the
 * target process's RSS while they are all open, and closes them.
 */
export async function measureOpenStreams(
  target: LoadTarget,
  pid: number,
  count: number,
  waitMs: number,
): Promise<OpenStreamsResult> {
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const body = chatBody(target, { words: 60, stream: true });
  const url = new URL(`${target.url}/chat/completions`);
  const requests: ClientRequest[] = [];
  const idle = await readProcessMemory(pid);
  let started = 0;
  let open = 0;
  const allStarted = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, waitMs);
    for (let i = 0; i < count; i += 1) {
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...target.headers },
        },
        (res) => {
          let first = true;
          res.on('data', () => {
            if (!first) return;
            first = false;
            started += 1;
            open += 1;
            if (started === count) {
              clearTimeout(timer);
              resolve();
            }
          });
          res.on('close', () => {
            if (!first) open -= 1;
          });
          res.on('error', () => undefined);
        },
      );
      req.on('error', () => undefined);
      req.end(body);
      requests.push(req);
    }
  });
  await allStarted;
  const loaded = await readProcessMemory(pid);
  const openAtSample = open;
  for (const req of requests) req.destroy();
  agent.destroy();
  return { requested: count, open: openAtSample, idle, loaded };
}
