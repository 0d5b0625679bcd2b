/**
 * Why a shared-state operation failed. Callers branch on `code`, never on the message:
 * `MOORING_ERR_STATE_UNAVAILABLE` means "keep the last known state and retry later".
 */
export const stateErrorCodes = {
  /** The store could not be reached at start (`RedisStateStore.connect`). */
  MOORING_ERR_STATE_CONNECT: 'the shared state store could not be reached',
  /** A command failed or timed out (Redis down, slow, or restarting). */
  MOORING_ERR_STATE_UNAVAILABLE: 'the shared state store did not answer',
  /** `putBackend` was given a backend that other nodes would reject as malformed. */
  MOORING_ERR_STATE_INVALID_BACKEND: 'the backend is not valid for the registry',
  /** The store was used after `close()`. */
  MOORING_ERR_STATE_CLOSED: 'the shared state store is closed',
} as const;

export type StateErrorCode = keyof typeof stateErrorCodes;

/** A failure of the shared state, with a stable code. */
export class StateError extends Error {
  readonly code: StateErrorCode;

  constructor(code: StateErrorCode, message: string = stateErrorCodes[code], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateError';
    this.code = code;
  }
}
