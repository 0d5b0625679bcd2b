import type { HttpErrorCode } from '../../core/error-registry.js';
import { OperatorError, type OperatorErrorCode } from '../../operator/operator-error.js';
import { StateError } from '../../state/state-error.js';

/** A failure as the API answers it: a registry code (its status comes with it) and one line. */
export interface ApiFailure {
  readonly code: HttpErrorCode;
  readonly message: string;
}

/** What an endpoint adds to an operation's message, by code (`: drain it first, or …`). */
export type ApiHints = Partial<Record<OperatorErrorCode, string>>;

/**
 * The answer to an expected failure: an operation's refusal keeps its code, a store that did not
 * answer is 503. Anything else is undefined: a bug, for the admin listener to log and answer 500.
 */
export function apiFailureOf(error: unknown, hints: ApiHints = {}): ApiFailure | undefined {
  if (error instanceof OperatorError)
    return { code: error.code, message: `${error.message}${hints[error.code] ?? ''}` };
  if (!(error instanceof StateError)) return undefined;
  switch (error.code) {
    case 'MOORING_ERR_STATE_UNAVAILABLE':
    case 'MOORING_ERR_STATE_CONNECT':
      return { code: 'MOORING_ERR_ADMIN_STATE_UNAVAILABLE', message: error.message };
    case 'MOORING_ERR_STATE_INVALID_BACKEND':
      return { code: 'MOORING_ERR_OPERATOR_INVALID_ARGUMENT', message: error.message };
    default:
      return undefined;
  }
}
