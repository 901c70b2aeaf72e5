import { parseArgs } from 'node:util';
import { relative } from 'node:path';
import { bundleCli, DIST, ROOT } from './bundle';

/** `pnpm build [--outdir dir]`: bundles the `aisbf` CLI into `dist/aisbf.mjs` (see scripts/bundle.ts). */
const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
const started = performance.now();
const result = await bundleCli(values.outdir ?? DIST);
const file = relative(ROOT, result.files['aisbf']!) || result.files['aisbf']!;
console.log(
  `built ${file} in ${Math.round(performance.now() - started)} ms; external at run time: ${result.externals.join(', ')}`,
);
