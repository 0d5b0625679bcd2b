/**
 * Stable codes for harness failures, so a test can branch on `err.code`
 * instead of matching messages (the project's error convention).
 */
export type TestkitErrorCode =
  | 'TESTKIT_ERR_REDIS_UNAVAILABLE'
  | 'TESTKIT_ERR_REDIS_START'
  | 'TESTKIT_ERR_UNEXPECTED_RESPONSE'
  | 'TESTKIT_ERR_MALFORMED_HTTP'
  | 'TESTKIT_ERR_NODE_START'
  | 'TESTKIT_ERR_TIMEOUT'
  | 'TESTKIT_ERR_CLOSED';

/** An Error carrying a stable `code`; extra fields are attached as own properties. */
export class TestkitError extends Error {
  readonly code: TestkitErrorCode;

  /**
   * @param code stable machine-readable code
   * @param message human-readable explanation
   * @param options standard `cause`
   */
  constructor(code: TestkitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TestkitError';
    this.code = code;
  }
}
