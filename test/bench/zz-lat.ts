import { readFileSync } from 'node:fs';
import { sequentialLatency } from './latency';
import { SHAPES } from './shapes';
const j = JSON.parse(readFileSync(process.argv[2]!, 'utf8'));
const targets = [
  { name: 'direct', url: j.mock, headers: {}, modelPrefix: '' },
  { name: 'pass', url: j.pass, headers: {}, modelPrefix: '' },
  { name: 'aisbf', url: j.url, headers: j.headers, modelPrefix: 'mock/' },
];
for (const shape of SHAPES) {
  const r = await sequentialLatency(targets, shape, Number(process.argv[3] ?? 500));
  const d = r[0]!.p50Ms;
  console.log(
    shape.name.padEnd(20),
    r.map((x, i) => `${targets[i]!.name} ${x.p50Ms.toFixed(3)}`).join('  '),
    ' ratio',
    ((r[2]!.p50Ms - d) / (r[1]!.p50Ms - d)).toFixed(2),
  );
}
