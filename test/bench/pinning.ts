import { execFile } from 'node:child_process';
import { cpus } from 'node:os';

/**
 * Which cores the bench's processes may run on (docs/benchmarks.md "Method", pinning): every
 * gateway under test (the pass-through and every aisbf row alike) on the last core, alone; the load
 * generator, the mock upstream, the bench process itself (the sequential-latency client) and the
 * helper roles (control plane, worker) on the others. Null: nothing is pinned.
 */
export interface Pinning {
  /** taskset CPU list of the load side. */
  load: string;
  /** taskset CPU list of the gateway under test. */
  gateway: string;
}

/** Pinning needs two cores or more and `taskset` (util-linux); `off` turns it off. */
export async function planPinning(setting: 'on' | 'off', cores = cpus().length): Promise<Pinning | null> {
  if (setting === 'off' || cores < 2) return null;
  const available = await new Promise<boolean>((resolve) =>
    execFile('taskset', ['-p', String(process.pid)], (error) => resolve(error === null)),
  );
  if (!available) return null;
  const last = cores - 1;
  return { load: last === 1 ? '0' : `0-${last - 1}`, gateway: String(last) };
}

/** Moves every thread of a running process to `cpuList` (its later threads inherit it). */
export function pinProcess(pid: number, cpuList: string): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('taskset', ['-a', '-p', '-c', cpuList, String(pid)], (error, _out, stderr) =>
      error === null ? resolve() : reject(new Error(`taskset could not pin ${pid} to ${cpuList}: ${stderr}`)),
    ),
  );
}

/** `command args` run on `cpuList` (through taskset), or as is when `cpuList` is undefined. */
export function pinnedCommand(command: string, args: string[], cpuList: string | undefined): [string, string[]] {
  return cpuList === undefined ? [command, args] : ['taskset', ['-c', cpuList, command, ...args]];
}

/** How the report names the pinning. */
export const describePinning = (pinning: Pinning | null): string =>
  pinning === null
    ? 'nothing pinned (every process may run on any core)'
    : `the gateway under test pinned alone to core ${pinning.gateway}, wrk, the mock, the bench's latency client and the helper roles to core ${pinning.load}`;
