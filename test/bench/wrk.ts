import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pinnedCommand } from './pinning';
import { chatBody, type LoadTarget, type Shape } from './shapes';

export interface LoadResult {
  /** Requests/s (median over rounds once combined). */
  rps: number;
  /** Requests completed (summed over rounds once combined). */
  requests: number;
  /** Every round's requests/s, in order. */
  rounds?: number[];
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Socket errors and timeouts. */
  errors: number;
  /** Answers with a status ≥ 400. */
  non2xx: number;
}

const luaString = (s: string): string => `[==[${s}]==]`;

/**
 * Closed-loop load with wrk (C, one thread: the load generator takes as little of the shared CPU
 * as it can): `connections` keep-alive connections POST the shape's chat request for `durationS`.
 * A Lua `done` hook prints the summary as one JSON line.
 */
export async function runWrk(
  target: LoadTarget,
  shape: Shape,
  options: {
    durationS: number;
    connections: number;
    scriptDir: string;
    /** taskset CPU list for wrk (pinning.ts). */ cpus?: string;
  },
): Promise<LoadResult> {
  const headers = { 'content-type': 'application/json', ...target.headers };
  const script = join(options.scriptDir, `wrk-${target.name.replace(/\W+/g, '-')}-${shape.words}-${shape.stream}.lua`);
  await writeFile(
    script,
    [
      'wrk.method = "POST"',
      `wrk.body = ${luaString(chatBody(target, shape))}`,
      ...Object.entries(headers).map(([k, v]) => `wrk.headers[ ${luaString(k)} ] = ${luaString(v)}`),
      'done = function(summary, latency, requests)',
      '  local e = summary.errors',
      '  io.write(string.format(\'{"requests":%d,"durationUs":%d,"errors":%d,"non2xx":%d,"p50":%d,"p99":%d}\\n\',',
      '    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,',
      '    latency:percentile(50), latency:percentile(99)))',
      'end',
    ].join('\n'),
  );
  const args = ['-t1', `-c${options.connections}`, `-d${options.durationS}s`, '--timeout', '10s', '-s', script];
  const [command, commandArgs] = pinnedCommand('wrk', [...args, `${target.url}/chat/completions`], options.cpus);
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(command, commandArgs, { timeout: (options.durationS + 30) * 1000 }, (e, out, err) =>
      e ? reject(new Error(`wrk failed: ${e.message}\n${err}`)) : resolve(out),
    ),
  );
  const line = stdout.split('\n').find((l) => l.startsWith('{"requests"'));
  if (line === undefined) throw new Error(`wrk printed no summary:\n${stdout}`);
  const r = JSON.parse(line) as {
    requests: number;
    durationUs: number;
    errors: number;
    non2xx: number;
    p50: number;
    p99: number;
  };
  return {
    rps: r.requests / (r.durationUs / 1e6),
    requests: r.requests,
    latencyP50Ms: r.p50 / 1000,
    latencyP99Ms: r.p99 / 1000,
    errors: r.errors,
    non2xx: r.non2xx,
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
    requests: results.reduce((sum, r) => sum + r.requests, 0),
    rounds: results.map((r) => r.rps),
    latencyP50Ms: median(results.map((r) => r.latencyP50Ms)),
    latencyP99Ms: median(results.map((r) => r.latencyP99Ms)),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
  };
}

/**
 * The index of the round whose requests/s is the median: of an odd number of rounds the very round
 * `combineRounds` reports, of an even number the lower of the two middle ones (whose mean it reports).
 */
export function medianRound(results: readonly LoadResult[]): number {
  const order = results.map((r, i) => [r.rps, i] as const).sort((a, b) => a[0] - b[0]);
  return order[Math.floor((order.length - 1) / 2)]?.[1] ?? -1;
}
