import { OperatorError, type OperatorErrorCode } from '@mooring/balancer';
import { CliError, exitCodes } from '../cli-error.js';

/** What a command adds to an operation's message, by code (`: drain it first (--drain), or --force`). */
export type FailureHints = Partial<Record<OperatorErrorCode, string>>;

/**
 * The CLI's form of an operation's failure: exit 2 for a bad argument, exit 1 for the others
 * (unknown backend, live connections), with the command's own hint appended. Anything that is
 * not an OperatorError is returned as is, for `guarded` to report or rethrow.
 */
export function cliFailure(error: unknown, hints: FailureHints = {}): unknown {
  if (!(error instanceof OperatorError)) return error;
  const exitCode = error.code === 'MOORING_ERR_OPERATOR_INVALID_ARGUMENT' ? exitCodes.usage : exitCodes.failure;
  return new CliError(`${error.message}${hints[error.code] ?? ''}`, exitCode);
}

/** Runs a shared operation (they live in the balancer: the admin API runs the same ones). */
export async function operation<T>(run: () => Promise<T>, hints?: FailureHints): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw cliFailure(error, hints);
  }
}

/** Runs an argument check of the balancer's before any store is opened (a bad argument exits 2). */
export function checked<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    throw cliFailure(error);
  }
}
