// The walkthrough's documents exactly as a user pastes them (docs/examples/README.md).
import rotations from '../../../docs/examples/seed-rotations.json?raw';
import autoselect from '../../../docs/examples/seed-autoselects.json?raw';

export const SEED_ROTATIONS = rotations.trim();
export const SEED_AUTOSELECT = autoselect.trim();
