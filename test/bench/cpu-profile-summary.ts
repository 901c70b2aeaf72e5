import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What `printProfile` prints of a `.cpuprofile`: self and inclusive time of the busiest functions. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

/**
 * `windows`: [start, end] pairs of CLOCK_MONOTONIC µs (`process.hrtime.bigint() / 1000n`, the clock
 * V8 stamps samples with); only samples inside one count, so start-up and idle gaps stay out.
 */
export function printProfile(dir: string, windows: Array<[number, number]> = []): void {
  for (const file of readdirSync(dir)) {
    const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      nodes: ProfileNode[];
      samples: number[];
      startTime: number;
      timeDeltas: number[];
    };
    const self = new Map<number, number>();
    let t = p.startTime;
    let kept = 0;
    p.samples.forEach((s, i) => {
      t += p.timeDeltas[i] ?? 0;
      if (windows.length > 0 && !windows.some(([a, b]) => t >= a && t <= b)) return;
      kept += 1;
      self.set(s, (self.get(s) ?? 0) + 1);
    });
    p.samples.length = kept;
    const byNode = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const total = p.samples.length;
    const idle = [...self].filter(([id]) => byNode.get(id)!.callFrame.functionName === '(idle)');
    const idleCount = idle.reduce((s, [, c]) => s + c, 0);
    const busy = total - idleCount;
    const key = (n: ProfileNode): string =>
      `${n.callFrame.functionName || '(anon)'} ${originalPlace(n.callFrame) ?? `${n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^.*\/(chunks|cli)\//, '')}:${n.callFrame.lineNumber + 1}`}`;
    const selfBy = new Map<string, number>();
    for (const [id, c] of self) {
      const k = key(byNode.get(id)!);
      selfBy.set(k, (selfBy.get(k) ?? 0) + c);
    }
    // Inclusive time per package/file.
    const fileBy = new Map<string, number>();
    for (const [id, c] of self) {
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const u = byNode.get(cur)!.callFrame.url;
        const f = u.includes('node_modules/')
          ? u
              .replace(/^.*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, '')
              .split('/')
              .slice(0, u.includes('/@') ? 2 : 1)
              .join('/')
          : u.replace(/^.*\//, '');
        if (!seen.has(f)) {
          seen.add(f);
          fileBy.set(f, (fileBy.get(f) ?? 0) + c);
        }
      }
    }
    process.stdout.write(`\n${file}: ${total} samples, busy ${busy}\n-- self (% of busy)\n`);
    for (const [k, c] of [...selfBy].sort((a, b) => b[1] - a[1]).slice(0, 45))
      process.stdout.write(`${((100 * c) / busy).toFixed(1).padStart(5)}  ${k}\n`);
    const inclusive = new Map<string, number>();
    for (const [id, c] of self) {
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const k = key(byNode.get(cur)!);
        if (!seen.has(k)) {
          seen.add(k);
          inclusive.set(k, (inclusive.get(k) ?? 0) + c);
        }
      }
    }
    process.stdout.write('-- inclusive, own code (% of busy)\n');
    for (const [k, c] of [...inclusive]
      .filter(([k]) => k.includes('.mjs') || k.includes('packages/'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, 60))
      process.stdout.write(`${((100 * c) / busy).toFixed(1).padStart(5)}  ${k}\n`);
    process.stdout.write('-- inclusive by file/package (% of busy)\n');
    for (const [k, c] of [...fileBy].sort((a, b) => b[1] - a[1]).slice(0, 30))
      process.stdout.write(`${((100 * c) / busy).toFixed(1).padStart(5)}  ${k || '(native)'}\n`);
  }
}

const maps = new Map<string, SourceMap | null>();
const repo = fileURLToPath(new URL('../../', import.meta.url));

/** `packages/…/file.ts:line` of a bundled function, through the bundle's `.map` when it has one. */
function originalPlace(frame: ProfileNode['callFrame']): string | null {
  // Bench bundles live under node_modules/.cache; installed packages ship no maps of their own here.
  if (!frame.url.startsWith('file://') || /node_modules\/(?!\.cache\/)/.test(frame.url)) return null;
  const file = `${fileURLToPath(frame.url)}.map`;
  let map = maps.get(frame.url);
  if (map === undefined) {
    map = existsSync(file) ? new SourceMap(JSON.parse(readFileSync(file, 'utf8')) as never) : null;
    maps.set(frame.url, map);
  }
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as
    { originalSource?: string; originalLine?: number } | undefined;
  if (entry?.originalSource === undefined) return null;
  const source = resolve(dirname(file), entry.originalSource);
  return `${relative(repo, source).replace(/^.*node_modules\//, '')}:${(entry.originalLine ?? 0) + 1}`;
}

if (process.argv[1]?.endsWith('cpu-profile-summary.ts') && process.argv[2] !== undefined) printProfile(process.argv[2]);
