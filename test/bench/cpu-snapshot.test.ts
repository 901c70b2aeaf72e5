import { execFileSync, spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cpuPerRequest, cpuSnapshot, processCpuMs, sharedServices, type CpuSnapshot } from './cpu-snapshot';

/** Burns `ms` of CPU time (not wall time: on a busy machine the process also waits for a core). */
const burn = (ms: number): void => {
  const used = (): number => (process.cpuUsage().user + process.cpuUsage().system) / 1000;
  const end = used() + ms;
  while (used() < end);
};

it('reads a process, its waited-for children and the machine from /proc', () => {
  const before = cpuSnapshot([process.pid]);
  burn(150);
  // A child that burns CPU and is waited for: what each wrk run is to the bench.
  execFileSync(process.execPath, [
    '-e',
    'const used = () => (process.cpuUsage().user + process.cpuUsage().system) / 1000; const end = used() + 150; while (used() < end);',
  ]);
  const after = cpuSnapshot([process.pid]);
  const used = cpuPerRequest(before, after, 10);
  // Ticks of 10 ms: the 150 ms burnt shows up less at most a tick or two; per request, a tenth of it.
  expect(used.processUs[0]).toBeGreaterThanOrEqual(13_000);
  expect(used.childrenUs).toBeGreaterThanOrEqual(13_000);
  expect(used.boxUs).toBeGreaterThanOrEqual(used.processUs[0]! + used.childrenUs - 2_000);
  expect(used.boxBusy).toBeGreaterThan(0);
  expect(used.boxBusy).toBeLessThanOrEqual(1);
  expect(processCpuMs(2 ** 22 + 1)).toBeNaN();
});

it('divides the deltas by the requests, and the busy share by the whole window', () => {
  const at = (gateway: number, children: number, busy: number, total: number): CpuSnapshot => ({
    processMs: [gateway, 5],
    childrenMs: children,
    boxBusyMs: busy,
    boxTotalMs: total,
  });
  expect(cpuPerRequest(at(100, 20, 1000, 4000), at(400, 120, 1900, 6000), 1000)).toEqual({
    processUs: [300, 0],
    childrenUs: 100,
    boxUs: 900,
    boxBusy: 0.45,
  });
});

it('finds Redis and MariaDB servers by process name', async () => {
  // A process whose name is redis-server (a copy of sleep), so the test needs no particular machine.
  const dir = await mkdtemp(join(tmpdir(), 'aisbf-cpu-'));
  await copyFile(execFileSync('sh', ['-c', 'command -v sleep']).toString().trim(), join(dir, 'redis-server'));
  const child = spawn(join(dir, 'redis-server'), ['30'], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => child.once('spawn', resolve));
    const found = sharedServices();
    expect(found).toContainEqual({ name: 'redis-server', pid: child.pid });
    expect(found.every((s) => s.name === 'redis-server' || s.name === 'mariadbd')).toBe(true);
    expect(found.some((s) => s.pid === process.pid)).toBe(false);
  } finally {
    child.kill();
    await rm(dir, { recursive: true, force: true });
  }
});
