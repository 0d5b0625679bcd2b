import { parseDuration } from '@mooring/balancer';
import { CliError, exitCodes } from '../cli-error.js';

/** Parses a `--deadline`-style flag; a bad value is a usage error (exit 2). */
export function durationOption(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw new CliError(
      `${flag}: expected a duration such as 30s, 5m or 1h, got ${JSON.stringify(text)}`,
      exitCodes.usage,
    );
  }
  return ms;
}

/** Parses a positive number flag; a bad value is a usage error (exit 2). */
export function positiveOption(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new CliError(`${flag}: expected a positive number, got ${JSON.stringify(text)}`, exitCodes.usage);
  }
  return value;
}
