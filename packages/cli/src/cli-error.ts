import { errorCodes, MooringError, StateError, type CodeOfKind, type MooringErrorCode } from '@mooring/balancer';
import type { Writer } from './command-deps.js';

/** Exit codes of every command (README "Operator commands"), from the error registry. */
export const exitCodes = {
  ok: 0,
  /** The command could not do what was asked: Redis unreachable, unknown backend, live connections. */
  failure: errorCodes.MOORING_ERR_CLI_FAILED.exitCode,
  /** A command line or configuration that cannot be used. */
  usage: errorCodes.MOORING_ERR_CLI_USAGE.exitCode,
  /** `drain --wait`: the drain ended at its deadline, some connections closed by force. */
  forced: errorCodes.MOORING_ERR_CLI_DRAIN_FORCED.exitCode,
  /** `backend announce`: the id is an operator's, or another announcer's; nothing changed. */
  refused: errorCodes.MOORING_ERR_CLI_ANNOUNCE_REFUSED.exitCode,
} as const;

/** The registry's codes of the CLI itself. */
export type CliErrorCode = Extract<CodeOfKind<'exit'>, `MOORING_ERR_CLI_${string}`>;

const cliCodes = (Object.keys(errorCodes) as MooringErrorCode[]).filter((code): code is CliErrorCode =>
  code.startsWith('MOORING_ERR_CLI_'),
);

/** The exit code the registry gives `code`; one that names no exit code (a bug) is a plain failure. */
function exitCodeOf(code: MooringErrorCode): number {
  const entry = errorCodes[code];
  return entry.kind === 'exit' ? entry.exitCode : exitCodes.failure;
}

/** A command that cannot do what was asked: one line on stderr and this exit code. */
export class CliError extends MooringError<CliErrorCode> {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = exitCodes.failure) {
    // The code follows the exit code, so callers keep choosing by exit code alone.
    super(cliCodes.find((code) => errorCodes[code].exitCode === exitCode) ?? 'MOORING_ERR_CLI_FAILED', message);
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
  const failure = error instanceof StateError ? new CliError(error.message, exitCodeOf(error.code)) : error;
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
