import { cpus, totalmem } from 'node:os';
import type { LatencyResult } from './latency';
import type { LoadResult } from './load';
import type { OpenStreamsResult } from './open-streams';

export interface BenchFigures {
  config: { durationS: number; rounds: number; connections: number; sequential: number; streams: number };
  targets: string[];
  throughput: { nonStream: LoadResult[]; stream: LoadResult[] };
  latency: LatencyResult[];
  streams: Array<{ target: string; result: OpenStreamsResult }>;
  notes: string[];
}

const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const f3 = (n: number): string => (Number.isFinite(n) ? n.toFixed(3) : 'n/a');

export function machineLine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${process.platform}`;
}

/** The figures as markdown tables (printed by `pnpm bench` and written to docs/benchmarks.md). */
export function renderTables(fig: BenchFigures): string {
  const lines: string[] = [];
  const idx = (name: string): number => fig.targets.indexOf(name);
  const direct = idx('direct');
  const pass = idx('pass-through');
  const aisbf = idx('aisbf');
  lines.push(
    '| target | non-stream req/s (median) | stream req/s (median) | non-stream rounds | stream rounds | non-stream p50 / p99 under load (ms) | errors |',
  );
  lines.push('|---|---:|---:|---|---|---:|---:|');
  fig.targets.forEach((name, i) => {
    const ns = fig.throughput.nonStream[i];
    const st = fig.throughput.stream[i];
    if (!ns || !st) return;
    const rounds = (r: LoadResult): string => (r.rounds ?? []).map((v) => v.toFixed(0)).join(', ');
    lines.push(
      `| ${name} | ${f1(ns.rps)} | ${f1(st.rps)} | ${rounds(ns)} | ${rounds(st)} | ${f1(ns.latencyP50Ms)} / ${f1(ns.latencyP99Ms)} | ${ns.errors + ns.non2xx + st.errors + st.non2xx} |`,
    );
  });
  if (aisbf >= 0 && pass >= 0) {
    const nsRatio = (fig.throughput.nonStream[aisbf]?.rps ?? NaN) / (fig.throughput.nonStream[pass]?.rps ?? NaN);
    const stRatio = (fig.throughput.stream[aisbf]?.rps ?? NaN) / (fig.throughput.stream[pass]?.rps ?? NaN);
    lines.push('');
    lines.push(
      `aisbf / pass-through requests/s: **${f2(nsRatio)}×** non-stream, **${f2(stRatio)}×** stream (target ≥ 0.85×: ${nsRatio >= 0.85 && stRatio >= 0.85 ? 'met' : 'not met'}).`,
    );
  }
  lines.push('');
  lines.push(
    `Sequential latency, ${fig.config.sequential} requests per target, one keep-alive connection, targets interleaved:`,
  );
  lines.push('');
  lines.push('| target | p50 (ms) | p99 (ms) | p50 added over direct (ms) | failures |');
  lines.push('|---|---:|---:|---:|---:|');
  const directP50 = fig.latency[direct]?.p50Ms ?? NaN;
  fig.targets.forEach((name, i) => {
    const l = fig.latency[i];
    if (!l) return;
    lines.push(
      `| ${name} | ${f3(l.p50Ms)} | ${f3(l.p99Ms)} | ${i === direct ? '—' : f3(l.p50Ms - directP50)} | ${l.failures} |`,
    );
  });
  if (aisbf >= 0 && pass >= 0) {
    const aisbfAdded = (fig.latency[aisbf]?.p50Ms ?? NaN) - directP50;
    const passAdded = (fig.latency[pass]?.p50Ms ?? NaN) - directP50;
    lines.push('');
    lines.push(
      `aisbf adds **${f3(aisbfAdded)} ms** at p50 over direct; the pass-through adds ${f3(passAdded)} ms; aisbf's overhead beyond the pass-through is ${f3(aisbfAdded - passAdded)} ms (ratio ${f2(aisbfAdded / passAdded)}×). Target p50 overhead ≤ 0.3 ms: over direct ${aisbfAdded <= 0.3 ? 'met' : 'not met'}; beyond the pass-through (the box-independent figure) ${aisbfAdded - passAdded <= 0.3 ? 'met' : 'not met'}.`,
    );
  }
  if (fig.streams.length > 0) {
    lines.push('');
    lines.push(
      `Memory with ${fig.config.streams} concurrent open streams (the gateway runs as its own process; RSS read from /proc):`,
    );
    lines.push('');
    lines.push(
      '| target | streams open at sample | RSS before (MiB) | RSS with streams open (MiB) | growth (MiB) | peak RSS (MiB) |',
    );
    lines.push('|---|---:|---:|---:|---:|---:|');
    for (const s of fig.streams) {
      lines.push(
        `| ${s.target} | ${s.result.open} / ${s.result.requested} | ${f1(s.result.idle.rssMiB)} | ${f1(s.result.loaded.rssMiB)} | ${f1(s.result.loaded.rssMiB - s.result.idle.rssMiB)} | ${f1(s.result.loaded.peakMiB)} |`,
      );
    }
    // The headline is what a cluster runs (the production role) when it was measured, else the bench process.
    const a =
      fig.streams.find((s) => s.target === 'aisbf data-plane role') ?? fig.streams.find((s) => s.target === 'aisbf');
    if (a)
      lines.push(
        '',
        `${a.target} RSS with ${a.result.open} open streams: **${f1(a.result.loaded.rssMiB)} MiB** (target ≤ 150 MB: ${a.result.loaded.rssMiB * 1.048576 <= 150 && a.result.open === a.result.requested ? 'met' : 'not met'}).`,
      );
  }
  if (fig.notes.length > 0) {
    lines.push('');
    for (const note of fig.notes) lines.push(`- ${note}`);
  }
  return lines.join('\n');
}

export function renderDoc(fig: BenchFigures, tables: string, when: Date): string {
  return `# Benchmarks

Generated by \`pnpm bench\` (\`test/bench/run.ts\`) on ${when.toISOString()}.
Machine: ${machineLine()}.

## Method

- Three targets answer the same OpenAI chat request (60-word answer, one word per SSE chunk):
  **direct** (the testkit mock upstream), **pass-through** (\`test/bench/pass-through.ts\`: reads the
  body, parses the JSON, forwards it with an undici pool, streams the answer back: the least a
  JSON-aware proxy does) and **aisbf** (the real data plane, \`createDataPlane\`, from a hand-built
  snapshot: one user, one hashed token, one provider pointing at the mock; started by
  \`test/scenarios/data-plane-main.ts\`).
- Mock, pass-through and aisbf each run in their own process; the load generator (autocannon,
  in-process in the runner) is a fourth. All on 127.0.0.1.
- Throughput: autocannon, ${fig.config.connections} keep-alive connections, ${fig.config.durationS} s per target and mode after a
  1 s warm-up, split into ${fig.config.rounds} rounds in which the targets take turns (order rotated each round);
  the figure is the median round, so a burst of background load skews one round, not the result.
- Latency: ${fig.config.sequential} sequential non-stream requests per target over one keep-alive connection,
  targets interleaved request by request so background load hits all alike; p50/p99 of the whole
  request. "Added" is the target's p50 minus direct's p50.
- Memory: a fresh gateway process (so heap left by the throughput runs does not count) gets
  ${fig.config.streams} streaming requests at once while the mock spaces its chunks 1 s apart (a stream would
  last a minute); once every stream has delivered its first chunk (or after 45 s) its VmRSS is read
  from /proc, then the streams are closed.
- Runtime: the three entries are bundled at the start of the run with the esbuild setup
  \`pnpm build\` uses for the production CLI (\`scripts/bundle.ts\`: workspace code inlined,
  third-party packages loaded from node_modules) and each runs with plain \`node\`, as production
  runs \`node dist/aisbf.mjs\`: no TypeScript loader is in any figure (tsx added ~43 MiB per process).
  aisbf in the throughput and latency runs is the data plane alone (\`createDataPlane\` from a
  snapshot file). The memory table adds **aisbf data-plane role**: the production bundle's
  \`aisbf data-plane\`, its snapshot read from Redis, with every Redis client of the role (bus,
  cooldowns, limits, budgets, health, BullMQ usage queue); it is the headline figure when Redis is
  reachable (\`AISBF_BENCH_REDIS_URL\`, default the local one; \`off\` skips the row).
- Knobs: \`AISBF_BENCH_DURATION_S\`, \`AISBF_BENCH_ROUNDS\`, \`AISBF_BENCH_CONNECTIONS\`, \`AISBF_BENCH_SEQUENTIAL\`,
  \`AISBF_BENCH_STREAMS\`, \`AISBF_BENCH_REDIS_URL\`, \`AISBF_BENCH_WRITE_DOCS=0\` (print only).

## Caveat

This is a shared 2-core box: the load generator, the mock, and the proxy under test compete for
the same cores, and other work may be running. Absolute requests/s are therefore low and noisy;
**read the ratios** (aisbf vs the pass-through, measured in the same run), not the absolute figures.

## Results

${tables}
`;
}
