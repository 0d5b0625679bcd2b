import { fileURLToPath } from 'node:url';

/**
 * Absolute path of the built CLI, `packages/cli/dist/bin.js`. Resolved from
 * this file, which sits two levels below the package root both as source
 * (src/node/) and compiled (dist/node/).
 */
export const MOORING_BIN = fileURLToPath(new URL('../../../cli/dist/bin.js', import.meta.url));
