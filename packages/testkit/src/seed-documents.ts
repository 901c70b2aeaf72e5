import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The walkthrough's two configuration documents (docs/examples/README.md), read from the files a
 * user would paste, so every test imports exactly what the docs show and none keeps its own copy.
 */
const examples = join(import.meta.dirname, '../../../docs/examples');
const read = (name: string): string => readFileSync(join(examples, name), 'utf8').trim();

/** `{"rotations":{"coding-production":{…}}}`, byte for byte as in docs/examples/seed-rotations.json. */
export const SEED_ROTATIONS_JSON = read('seed-rotations.json');
/** `{"engineering":{…}}`, byte for byte as in docs/examples/seed-autoselects.json. */
export const SEED_AUTOSELECTS_JSON = read('seed-autoselects.json');

export const SEED_ROTATIONS = JSON.parse(SEED_ROTATIONS_JSON) as Record<string, unknown>;
export const SEED_AUTOSELECTS = JSON.parse(SEED_AUTOSELECTS_JSON) as Record<string, unknown>;
