import { GatewayError } from '../../packages/core/src/index';

/**
 * `pnpm exec tsx test/bench/request-path.bench.ts`: what the request path's small steps cost each
 * way (docs/benchmarks.md "`aisbf start`: the request path"), µs per request, best of 5 rounds:
 * an `Error` built on every request and thrown away (the "invalid key" result `resolveCaller` used
 * to make before it knew the answer) against none; an `await` of an async function that returns
 * null (`spacingSkip` with no `rate_limit`) against a synchronous null check.
 */
const ROUNDS = 5;
const N = 200_000;

function report(label: string, us: number): void {
  process.stdout.write(`${label.padEnd(62)} ${us.toFixed(3)} µs\n`);
}

function best(label: string, run: () => unknown): void {
  let min = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    for (let i = 0; i < N; i++) run();
    min = Math.min(min, ((performance.now() - t) * 1000) / N);
  }
  report(label, min);
}

async function bestAsync(label: string, run: () => Promise<unknown>): Promise<void> {
  let min = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    for (let i = 0; i < N; i++) await run();
    min = Math.min(min, ((performance.now() - t) * 1000) / N);
  }
  report(label, min);
}

/** Builds the error at a stack depth like the request path's (the trace is captured either way). */
function atDepth(depth: number, leaf: () => unknown): unknown {
  return depth === 0 ? leaf() : atDepth(depth - 1, leaf);
}
const eager = (): unknown =>
  new GatewayError('UNAUTHENTICATED', 'Invalid API key (unknown or revoked).', { wireCode: 'invalid_api_key' });
const lazy = (): unknown => null;

best('resolveCaller success, eager GatewayError (before)', () => atDepth(20, eager));
best('resolveCaller success, error made only when refused (after)', () => atDepth(20, lazy));

const spacer = undefined as { claim(): Promise<boolean> } | undefined;
async function spacingBefore(): Promise<null> {
  if (spacer === undefined) return null;
  await spacer.claim();
  return null;
}
function spacingAfter(): Promise<null> | null {
  if (spacer === undefined) return null;
  return spacer.claim().then(() => null);
}
await bestAsync('one attempt, await spacingSkip() with no rate_limit (before)', async () => {
  await spacingBefore();
});
await bestAsync('one attempt, spacingSkip() null: no await (after)', async () => {
  const claiming = spacingAfter();
  if (claiming !== null) await claiming;
});
