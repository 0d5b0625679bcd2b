import { MooringError, type MooringErrorCode } from '../core/error-registry.js';

/**
 * The codes an operator operation fails with (README "Error codes"). Each edge turns them into
 * its own answer: the admin API into the registry's HTTP status, the CLI into exit 2 for
 * `MOORING_ERR_OPERATOR_INVALID_ARGUMENT` and exit 1 for the others.
 */
export type OperatorErrorCode = Extract<
  MooringErrorCode,
  | 'MOORING_ERR_OPERATOR_INVALID_ARGUMENT'
  | 'MOORING_ERR_BACKEND_UNKNOWN'
  | 'MOORING_ERR_BACKEND_HAS_CONNECTIONS'
  | 'MOORING_ERR_BACKEND_LEASED'
>;

/** An operation that cannot do what was asked; the message is one line naming what and why. */
export class OperatorError extends MooringError<OperatorErrorCode> {
  constructor(code: OperatorErrorCode, message?: string) {
    super(code, message);
    this.name = 'OperatorError';
  }
}

/** A bad argument: the message names the field (`--close-code: …`, `closeRate: …`). */
export function invalidArgument(message: string): OperatorError {
  return new OperatorError('MOORING_ERR_OPERATOR_INVALID_ARGUMENT', message);
}

/** `unknown backend "id"`. */
export function unknownBackend(id: string): OperatorError {
  return new OperatorError('MOORING_ERR_BACKEND_UNKNOWN', `unknown backend ${JSON.stringify(id)}`);
}

/** `backend "id" is held by a live lease …`: an operator's write refused over an announcer's entry. */
export function leasedBackend(id: string): OperatorError {
  const message =
    `backend ${JSON.stringify(id)} is held by the live lease of an announcer (mooring backend announce); ` +
    'stop the announcer, or wait for its lease to expire';
  return new OperatorError('MOORING_ERR_BACKEND_LEASED', message);
}
