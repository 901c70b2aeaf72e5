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

// What served: a spread of the answer with a conditional part (before) against one literal naming
// every field (after, run-attempts.ts' `servedBy`), then the reads serve-proxy makes of it.
const answer = {
  status: 200,
  headers: { 'content-type': 'application/json' },
  call: {},
  body: null as Buffer | null,
  pending: [] as unknown[],
  malformed: 0,
  usage: undefined as unknown,
  passthrough: undefined as unknown,
};
const leaf = { target: { provider: { id: 'mock' }, model: 'w1' } };
const release = (): void => undefined;
let sink = 0;
const reads = (served: { waitedMs: number; autoselect?: { reason: string }; condensed?: string }): void => {
  served.waitedMs += 1;
  sink += (served.autoselect?.reason ?? served.condensed ?? '').length + served.waitedMs;
};
best('what served: spread of the answer (before)', () => {
  const condensed = undefined as { summary: string } | undefined;
  const served = {
    ...answer,
    leaf,
    waitedMs: 1,
    attemptStartedAt: 2,
    release,
    ...(condensed === undefined ? {} : { condensed: condensed.summary }),
  } as { waitedMs: number; autoselect?: { reason: string }; condensed?: string };
  reads(served);
});
best('what served: one literal of every field (after)', () => {
  const condensed = undefined as { summary: string } | undefined;
  const served = {
    status: answer.status,
    headers: answer.headers,
    call: answer.call,
    body: answer.body,
    pending: answer.pending,
    malformed: answer.malformed,
    usage: answer.usage,
    passthrough: answer.passthrough,
    leaf,
    waitedMs: 1,
    attemptStartedAt: 2,
    release,
    autoselect: undefined as { reason: string } | undefined,
    condensed: condensed?.summary,
  };
  reads(served);
});

// An attempt's request headers: built and spread twice per attempt (before) against the memo of
// upstream-target.ts (after: one Map lookup of the hop count on the provider's entry).
const provider = { headers: { 'x-org': 'bench' } as Record<string, string>, apiKeyEnc: 'sealed' };
const memo = new Map<string, Record<string, string>>();
best('request headers, built and spread per attempt (before)', () => {
  const hops = { 'x-aisbf-hops': String(0 + 1) };
  const built: Record<string, string> = {
    ...provider.headers,
    'content-type': 'application/json',
    accept: 'text/event-stream',
  };
  built['authorization'] = `Bearer sk-${provider.apiKeyEnc}`;
  sink += Object.keys({ ...built, ...hops }).length;
});
best('request headers, memoised per provider and hop count (after)', () => {
  const value = String(0 + 1);
  const key = `x-aisbf-hops\0${value}`;
  let out = memo.get(key);
  if (out === undefined) {
    out = { ...provider.headers, 'content-type': 'application/json', accept: 'text/event-stream' };
    out['authorization'] = `Bearer sk-${provider.apiKeyEnc}`;
    out['x-aisbf-hops'] = value;
    memo.set(key, out);
  }
  sink += out === undefined ? 0 : 1;
});
if (sink < 0) process.stdout.write('unreachable\n');
