import { readFileSync } from 'node:fs';

/**
 * The version `mooring --version` prints: the CLI package's own, read next to `dist/` (and next
 * to `src/` in tests), so a release never needs a second place to bump.
 */
export function cliVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
