import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWrk } from './wrk';
import { SHAPES } from './shapes';
import { ADMIN, graphql } from './aisbf-targets';
const j = JSON.parse(readFileSync(process.argv[2]!, 'utf8'));
const shape = SHAPES.find((s) => s.name === (process.argv[3] ?? '1-chunk stream'))!;
const base = j.url.replace(/\/v1$/, '');
const created = await graphql(
  base,
  ADMIN,
  'mutation { createApiToken(owner: "bench", name: "nolimits' + Date.now() + '") { token } }',
);
const free = (created['createApiToken'] as { token: string }).token;
const dir = mkdtempSync(join(tmpdir(), 'ab-'));
const cpu = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const targets = [
  { name: 'pass', url: j.pass, headers: {}, modelPrefix: '', pid: j.passPid },
  { name: 'limits', url: j.url, headers: j.headers, modelPrefix: 'mock/', pid: j.pid },
  { name: 'nolimits', url: j.url, headers: { authorization: `Bearer ${free}` }, modelPrefix: 'mock/', pid: j.pid },
];
await new Promise((r) => setTimeout(r, 1500));
for (const t of targets) await runWrk(t, shape, { durationS: 1, connections: 64, scriptDir: dir });
const out = new Map<string, string[]>();
for (let r = 0; r < 4; r++)
  for (const t of targets) {
    const c0 = cpu(t.pid);
    const res = await runWrk(t, shape, { durationS: 3, connections: 64, scriptDir: dir });
    out.set(t.name, [
      ...(out.get(t.name) ?? []),
      `${Math.round(res.rps)}/${Math.round(((cpu(t.pid) - c0) * 1000) / (res.rps * 3))}`,
    ]);
  }
for (const [k, v] of out) console.log(k.padEnd(10), 'rps/µs per req:', v.join('  '));
