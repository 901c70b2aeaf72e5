import { Counter, Histogram, Registry } from 'prom-client';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destination as pinoDestination, pino } from 'pino';
import { BufferedStdout } from '../../packages/cli/src/buffered-stdout';
import { REDACT_PATHS } from '../../packages/cli/src/logger';
import { requestLogger } from '../../packages/data-plane/src/observability/request-log';
import { createSeriesCounter, createSeriesHistogram } from '../../packages/data-plane/src/observability/series-metrics';

/**
 * `pnpm exec tsx test/bench/request-bookkeeping.bench.ts`: what a request's metrics and its log
 * line cost, each way (docs/benchmarks.md "Where the time went"): the seven metric calls of one
 * request through prom-client's classes and through series-metrics.ts; one request line through the
 * node's logger (with its redaction) and through `requestLogger`; one line written to a file through
 * sonic-boom and through `BufferedStdout`. Best of 5 rounds, µs per request.
 */
const ROUNDS = 5;
const scratch = mkdtempSync(join(tmpdir(), 'aisbf-log-bench-'));
let files = 0;
const scratchFd = (): number => openSync(join(scratch, `log-${files++}`), 'w');
const N = 100_000;
const NAMES = ['gen_ai_operation_name', 'route', 'provider', 'model'] as const;
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const SECONDS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

function best(label: string, run: () => void): void {
  let min = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    for (let i = 0; i < N; i++) run();
    min = Math.min(min, ((performance.now() - t) * 1000) / N);
  }
  process.stdout.write(`${label.padEnd(58)} ${min.toFixed(2)} µs\n`);
}

function promClientRequest(): () => void {
  const registers = [new Registry()];
  const tokens = new Histogram({
    name: 't',
    help: 'h',
    labelNames: [...NAMES, 'gen_ai_token_type'],
    buckets: TOKEN_BUCKETS,
    registers,
  });
  const duration = new Histogram({
    name: 'd',
    help: 'h',
    labelNames: [...NAMES, 'error_type'],
    buckets: SECONDS,
    registers,
  });
  const ttft = new Histogram({ name: 'f', help: 'h', labelNames: NAMES, buckets: SECONDS, registers });
  const requests = new Counter({ name: 'r', help: 'h', labelNames: ['endpoint', 'status', 'outcome'], registers });
  const latency = new Histogram({ name: 'l', help: 'h', labelNames: ['endpoint'], buckets: SECONDS, registers });
  const attempts = new Counter({ name: 'a', help: 'h', labelNames: ['provider', 'outcome'], registers });
  return () => {
    const labels = { gen_ai_operation_name: 'chat', route: 'mock/w1', provider: 'mock', model: 'w1' };
    duration.observe({ ...labels, error_type: '' }, 0.003);
    tokens.observe({ ...labels, gen_ai_token_type: 'input' }, 3);
    tokens.observe({ ...labels, gen_ai_token_type: 'output' }, 60);
    ttft.observe(labels, 0.002);
    requests.inc({ endpoint: 'chat.completions', status: String(200), outcome: 'ok' });
    latency.observe({ endpoint: 'chat.completions' }, 0.003);
    attempts.inc({ provider: 'mock', outcome: 'ok' });
  };
}

function seriesRequest(): () => void {
  const registry = new Registry();
  const tokens = createSeriesHistogram({
    name: 't',
    help: 'h',
    labelNames: [...NAMES, 'gen_ai_token_type'],
    buckets: TOKEN_BUCKETS,
    registry,
  });
  const duration = createSeriesHistogram({
    name: 'd',
    help: 'h',
    labelNames: [...NAMES, 'error_type'],
    buckets: SECONDS,
    registry,
  });
  const ttft = createSeriesHistogram({ name: 'f', help: 'h', labelNames: NAMES, buckets: SECONDS, registry });
  const requests = createSeriesCounter({
    name: 'r',
    help: 'h',
    labelNames: ['endpoint', 'status', 'outcome'],
    registry,
  });
  const latency = createSeriesHistogram({ name: 'l', help: 'h', labelNames: ['endpoint'], buckets: SECONDS, registry });
  const attempts = createSeriesCounter({ name: 'a', help: 'h', labelNames: ['provider', 'outcome'], registry });
  return () => {
    duration.observe(['chat', 'mock/w1', 'mock', 'w1', ''], 0.003);
    tokens.observe(['chat', 'mock/w1', 'mock', 'w1', 'input'], 3);
    tokens.observe(['chat', 'mock/w1', 'mock', 'w1', 'output'], 60);
    ttft.observe(['chat', 'mock/w1', 'mock', 'w1'], 0.002);
    requests.inc(['chat.completions', String(200), 'ok']);
    latency.observe(['chat.completions'], 0.003);
    attempts.inc(['mock', 'ok']);
  };
}

const line = () => ({
  requestId: 'b1f5bd92-3fcb-4145-b8ec-4185559abdc2',
  route: 'mock/w1',
  provider: 'mock',
  model: 'w1',
  endpoint: 'chat.completions',
  stream: true,
  status: 200,
  outcome: 'ok',
  latencyMs: 503,
  ttfbMs: 502,
  attempts: 1,
  tried: ['mock/w1:200'],
  promptTokens: 3,
  completionTokens: 1,
});
// The lines are built as in production; only their writing is left out (a sink that drops them).
const sink = { write: (_: string) => undefined };
const node = pino(
  { level: 'info', base: { pid: process.pid }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
  sink,
);
const requestLines = requestLogger(node);

best('metrics of one request, prom-client classes', promClientRequest());
best('metrics of one request, series-metrics.ts', seriesRequest());
best('request log line, the node logger (redaction)', () => node.info(line(), 'request'));
best('request log line, requestLogger (no redaction)', () => requestLines.info(line(), 'request'));

// The same line written to a file: through pino's sonic-boom destination (what every role used
// before 2026-12-06) and through BufferedStdout (buffered-stdout.ts), each flushed at the end.
for (const [label, destination] of [
  [
    'request line to a file, sonic-boom (minLength 4 KiB)',
    () => pinoDestination({ dest: scratchFd(), sync: false, minLength: 4096 }),
  ],
  ['request line to a file, BufferedStdout', () => new BufferedStdout(scratchFd())],
] as const) {
  const stream = destination();
  const logger = requestLogger(pino({ level: 'info', base: { pid: process.pid } }, stream));
  best(label, () => logger.info(line(), 'request'));
  stream.flushSync();
}
rmSync(scratch, { recursive: true, force: true });
