import { StateError } from '@mooring/balancer';
import type { Writer } from './command-deps.js';

/** Exit codes of every command (README "Operator commands"). */
export const exitCodes = {
  ok: 0,
  /** The command could not do what was asked: Redis unreachable, unknown backend, live connections. */
  failure: 1,
  /** A command line or configuration that cannot be used. */
  usage: 2,
  /** `drain --wait`: the drain ended at its deadline, some connections closed by force. */
  forced: 3,
} as const;

/** A command that cannot do what was asked: one line on stderr and this exit code. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = exitCodes.failure) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/**
 * Turns an expected failure into its one line on `err` and its exit code. A store that fails
 * mid-command (Redis gone, a timeout) is a failure like any other; anything else is a bug and
 * is rethrown so that it shows its stack.
 */
export function reportFailure(error: unknown, err: Writer): number {
  const failure = error instanceof StateError ? new CliError(error.message) : error;
  if (!(failure instanceof CliError)) throw error;
  err(`mooring: ${failure.message.replace(/\s*\n\s*/g, ' ')}\n`);
  return failure.exitCode;
}

/** Runs a command body, reporting an expected failure; a body that returns nothing succeeded. */
export async function guarded(err: Writer, body: () => Promise<number | void>): Promise<number> {
  try {
    return (await body()) ?? exitCodes.ok;
  } catch (error) {
    return reportFailure(error, err);
  }
}
