import type { IncomingHttpHeaders } from 'node:http';
import { TestkitError } from '../errors/testkit-error.js';

/** A WebSocket handshake answered with something other than 101. */
export class UnexpectedResponseError extends TestkitError {
  /**
   * @param statusCode the HTTP status the server answered with
   * @param headers its response headers
   * @param body its complete body, as UTF-8
   */
  constructor(
    readonly statusCode: number,
    readonly headers: IncomingHttpHeaders,
    readonly body: string,
  ) {
    super('TESTKIT_ERR_UNEXPECTED_RESPONSE', `unexpected handshake response ${statusCode}: ${body.slice(0, 200)}`);
    this.name = 'UnexpectedResponseError';
  }
}
