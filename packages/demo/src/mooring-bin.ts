import { fileURLToPath } from 'node:url';

/** Absolute path of the built CLI, `packages/cli/dist/bin.js`, from this file (src/ or dist/). */
export const MOORING_BIN = fileURLToPath(new URL('../../cli/dist/bin.js', import.meta.url));
