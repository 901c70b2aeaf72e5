import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { chatBody, type LoadTarget, type Shape } from './shapes';

export interface LatencyResult {
  p50Ms: number;
  p99Ms: number;
  failures: number;
}

function once(agent: Agent, target: LoadTarget, body: string): Promise<number | null> {
  return new Promise((resolve) => {
    const url = new URL(`${target.url}/chat/completions`);
    const started = performance.now();
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
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200 ? performance.now() - started : null));
        res.on('error', () => resolve(null));
      },
    );
    req.on('error', () => resolve(null));
    req.end(body);
  });
}

export const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/**
 * One request at a time over one keep-alive connection per target, targets interleaved request by
 * request, so background noise on the shared box hits every target alike.
 */
export async function sequentialLatency(
  targets: readonly LoadTarget[],
  shape: Shape,
  count: number,
): Promise<LatencyResult[]> {
  const agents = targets.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
  const bodies = targets.map((t) => chatBody(t, shape));
  const samples: number[][] = targets.map(() => []);
  const failures = targets.map(() => 0);
  const warmup = Math.min(100, Math.ceil(count / 10));
  try {
    for (let i = 0; i < count + warmup; i += 1) {
      for (let t = 0; t < targets.length; t += 1) {
        const ms = await once(agents[t]!, targets[t]!, bodies[t]!);
        if (i < warmup) continue;
        if (ms === null) failures[t]! += 1;
        else samples[t]!.push(ms);
      }
    }
  } finally {
    for (const agent of agents) agent.destroy();
  }
  return samples.map((list, t) => {
    const sorted = [...list].sort((a, b) => a - b);
    return { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), failures: failures[t]! };
  });
}
