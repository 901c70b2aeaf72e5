import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { GLOBAL_PART, userPartKey, type UserPart } from '../../packages/core/src/index';
import {
  createBusPartSource,
  createMemoryBus,
  createMemoryPartStore,
  HEAP_BYTES_PER_PART_CHAR,
} from '../../packages/bus/src/index';
import { createConfigView } from '../../packages/data-plane/src/config-view';
import { benchUserPart, type PartShape } from './bench-user-part';

/**
 * `node --expose-gc --import tsx test/bench/part-heap.bench.ts [count]`: what a held user part
 * costs in the heap (docs/cluster.md "What a node holds"), per shape: `count` parts (default
 * 5,000) loaded through the bus part source, then indexed by the data plane's config view, then
 * their first route resolved; heapUsed after two forced GCs before and after each step, per part
 * and as a multiple of the part's JSON characters (what HEAP_BYTES_PER_PART_CHAR must cover).
 */
declare const gc: (() => void) | undefined;

const heap = (): number => {
  if (typeof gc !== 'function') throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

async function measure(shape: PartShape, count: number): Promise<void> {
  const store = createMemoryPartStore();
  const ids: string[] = [];
  let json = 0;
  await store.write(1, Date.now(), {
    key: GLOBAL_PART,
    part: { version: 1, createdAt: Date.now(), providers: [], rotations: [], autoselects: [] },
  });
  for (let i = 0; i < count; i++) {
    const id = randomUUID();
    const part = benchUserPart(shape, id, `u${i}`, `${i}`.padStart(64, 'a'));
    ids.push(id);
    json += JSON.stringify(part).length;
    await store.write(2 + i, Date.now(), { key: userPartKey(id), part });
  }
  const source = createBusPartSource({
    bus: createMemoryBus(),
    store,
    pollMs: 0,
    budgetBytes: Number.MAX_SAFE_INTEGER,
  });
  await source.load();
  const view = createConfigView(source);
  const h0 = heap();
  const parts: UserPart[] = [];
  for (const id of ids) parts.push((await source.loadUser(id))!);
  const h1 = heap();
  for (const p of parts) view.served(p);
  const h2 = heap();
  for (const p of parts) view.served(p).resolve(p.user, 'user-rotation/r');
  const h3 = heap();
  const line = (label: string, a: number, b: number): string =>
    `  ${label.padEnd(22)} ${((b - a) / count).toFixed(0).padStart(6)} B/part  ×${((b - a) / json).toFixed(2)} JSON\n`;
  process.stdout.write(
    `${shape}: ${count} parts of ${(json / count).toFixed(0)} JSON chars\n` +
      line('parsed part', h0, h1) +
      line('+ index', h1, h2) +
      line('+ first resolution', h2, h3) +
      line('total', h0, h3),
  );
  await source.close();
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 5_000);
  process.stdout.write(
    `HEAP_BYTES_PER_PART_CHAR ${HEAP_BYTES_PER_PART_CHAR}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}\n`,
  );
  for (const shape of ['scale', 'small', 'heavy'] as const) await measure(shape, count);
}
void main();
