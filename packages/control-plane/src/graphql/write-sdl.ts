import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printSortedSchema } from './create-graphql';

// `pnpm tsx packages/control-plane/src/graphql/write-sdl.ts` after an intended schema change.
const target = fileURLToPath(new URL('../../schema.graphql', import.meta.url));
writeFileSync(target, printSortedSchema());
console.log(`wrote ${target}`);
