import autocannon from 'autocannon';

export interface LoadTarget {
  name: string;
  /** Base URL ending in `/v1` (or `/api/u/<user>`). */
  url: string;
  headers: Record<string, string>;
  /** The `model` this target expects (`m1` directly, a route name through aisbf). */
  model: string;
}

export interface LoadResult {
  /** Median over rounds. */
  rps: number;
  /** Every round's requests/s, in order. */
  rounds?: number[];
  latencyP50Ms: number;
  latencyP99Ms: number;
  errors: number;
  non2xx: number;
}

export function chatBody(model: string, stream: boolean): string {
  return JSON.stringify({ model, messages: [{ role: 'user', content: 'Say the words.' }], stream, temperature: 0 });
}

/** Closed-loop load with `connections` keep-alive connections for `durationS` seconds. */
export async function runLoad(
  target: LoadTarget,
  stream: boolean,
  durationS: number,
  connections: number,
): Promise<LoadResult> {
  const result = await autocannon({
    url: `${target.url}/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers },
    body: chatBody(target.model, stream),
    connections,
    duration: durationS,
    timeout: 10,
  });
  return {
    rps: result.requests.average,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** Median of round results (robust to one noisy round on a shared box); errors are summed. */
export function combineRounds(results: readonly LoadResult[]): LoadResult {
  const median = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
  };
  return {
    rps: median(results.map((r) => r.rps)),
    rounds: results.map((r) => r.rps),
    latencyP50Ms: median(results.map((r) => r.latencyP50Ms)),
    latencyP99Ms: median(results.map((r) => r.latencyP99Ms)),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
  };
}
