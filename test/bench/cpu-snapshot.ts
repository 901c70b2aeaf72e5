import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time read from /proc (proc(5)) at one instant, for what a stretch of load cost per request:
 * docs/benchmarks.md "Method", CPU per request. Linux only, like the bench.
 */
export interface CpuSnapshot {
  /** utime + stime of each pid asked for (all its threads), ms; NaN when it is gone. */
  processMs: number[];
  /** cutime + cstime of this process: the children it has waited for, ms (each wrk run counts once it has exited). */
  childrenMs: number;
  /** The whole machine from /proc/stat's `cpu` line, summed over its cores: busy (neither idle nor iowait), ms. */
  boxBusyMs: number;
  /** The same line's total, ms. */
  boxTotalMs: number;
}

/** A process by the name the tables give it. */
export interface NamedPid {
  name: string;
  pid: number;
}

/** /proc counts in clock ticks of USER_HZ, which Linux fixes at 100 for what it shows user space (proc(5)). */
const MS_PER_TICK = 10;

/** The fields after `comm` (which may itself hold spaces or parentheses), so index 0 is field 3, `state`. */
const statFields = (pid: number | 'self'): string[] => {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(') ') + 2).split(' ');
};

/** utime + stime of a process and all its threads, ms; NaN when it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const fields = statFields(pid);
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return NaN;
  }
}

export function cpuSnapshot(pids: readonly number[]): CpuSnapshot {
  const self = statFields('self');
  // user nice system idle iowait irq softirq steal; guest and guest_nice are already inside user and nice.
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  return {
    processMs: pids.map(processCpuMs),
    childrenMs: (Number(self[13]) + Number(self[14])) * MS_PER_TICK,
    boxBusyMs: (total - ticks[3]! - ticks[4]!) * MS_PER_TICK,
    boxTotalMs: total * MS_PER_TICK,
  };
}

/** What happened between two snapshots, per request: µs of CPU, and the fraction of the machine busy. */
export interface CpuPerRequest {
  /** Same order as the pids of the snapshots. */
  processUs: number[];
  childrenUs: number;
  /** Everything the machine ran, whatever process. */
  boxUs: number;
  /** Busy share of all cores over the window, 0–1. */
  boxBusy: number;
}

export function cpuPerRequest(before: CpuSnapshot, after: CpuSnapshot, requests: number): CpuPerRequest {
  const us = (ms: number): number => (ms * 1000) / requests;
  return {
    processUs: after.processMs.map((ms, i) => us(ms - (before.processMs[i] ?? NaN))),
    childrenUs: us(after.childrenMs - before.childrenMs),
    boxUs: us(after.boxBusyMs - before.boxBusyMs),
    boxBusy: (after.boxBusyMs - before.boxBusyMs) / (after.boxTotalMs - before.boxTotalMs),
  };
}

/**
 * The machine's Redis and MariaDB servers, found by process name: services the cluster row writes
 * to and other work on the box may share, so what they spend in a window is only attributed to it.
 */
export function sharedServices(): NamedPid[] {
  const out: NamedPid[] = [];
  for (const dir of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let comm = '';
    try {
      comm = readFileSync(`/proc/${dir}/comm`, 'utf8').trim();
    } catch {
      continue; // exited while the directory was listed
    }
    if (comm === 'redis-server' || comm === 'mariadbd') out.push({ name: comm, pid: Number(dir) });
  }
  return out;
}
