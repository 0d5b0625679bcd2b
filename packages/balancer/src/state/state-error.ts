import { MooringError, type MooringErrorCode } from '../core/error-registry.js';

/**
 * The codes of the shared state (README "Error codes"). Callers branch on `code`, never on the
 * message: `MOORING_ERR_STATE_UNAVAILABLE` means "keep the last known state and retry later".
 */
export type StateErrorCode = Extract<MooringErrorCode, `MOORING_ERR_STATE_${string}`>;

/** A failure of the shared state, with a stable code; the message defaults to the registry's. */
export class StateError extends MooringError<StateErrorCode> {
  constructor(code: StateErrorCode, message?: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'StateError';
  }
}
