import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** What `capYoungGeneration` did: `operator` when a V8 flag on the command line or in NODE_OPTIONS decides instead. */
export type YoungGenerationCap = { kind: 'capped'; capBytes: number; stop(): void } | { kind: 'operator' };

const OPERATOR_FLAGS = /--(max[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor|max[-_]young[-_]generation)/;

/** V8's default `--semi-space-growth-factor`. */
const V8_GROWTH_FACTOR = 2;

const newSpaceBytes = (): number =>
  getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;

/**
 * Keeps V8's young generation (new space: both semi-spaces) at about `capMiB` instead of the 32 MiB
 * it grows to under load (docs/data-plane.md "Memory"). `--max-semi-space-size` is read only when
 * the heap is set up, so a program cannot set it for itself; the growth factor is read at each
 * growth. After each GC the factor is set to V8's default (2) while one more doubling stays within
 * the cap, and to 1 (no growth) once it would not; V8 may shrink the space again when allocation
 * slows, and it can then grow back up to the cap. A growth that happens before the check runs can
 * take it one doubling past the cap, never further. A V8 flag the operator gave (`node
 * --max-semi-space-size=…`, NODE_OPTIONS) wins: nothing is changed.
 */
export function capYoungGeneration(
  capMiB: number,
  launch: { execArgv: readonly string[]; nodeOptions: string | undefined },
): YoungGenerationCap {
  if (OPERATOR_FLAGS.test(`${launch.execArgv.join(' ')} ${launch.nodeOptions ?? ''}`)) return { kind: 'operator' };
  const capBytes = capMiB * 1024 * 1024;
  let held = false;
  const check = (): void => {
    const hold = newSpaceBytes() * 2 > capBytes;
    if (hold === held) return;
    held = hold;
    setFlagsFromString(`--semi-space-growth-factor=${hold ? 1 : V8_GROWTH_FACTOR}`);
  };
  const observer = new PerformanceObserver(check);
  check();
  observer.observe({ entryTypes: ['gc'] });
  return {
    kind: 'capped',
    capBytes,
    stop: () => {
      observer.disconnect();
      if (held) setFlagsFromString(`--semi-space-growth-factor=${V8_GROWTH_FACTOR}`);
      held = false;
    },
  };
}
