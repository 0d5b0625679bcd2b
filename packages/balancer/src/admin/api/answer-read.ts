import { jsonError } from '../json-response.js';
import { apiFailureOf } from './api-failure.js';
import type { ApiRequest } from './api-endpoint.js';

/**
 * Runs a read, answering its expected failures (a bad argument 400, the store down 503) as
 * `{ code, message }`; anything else is rethrown for the admin listener to log and answer 500.
 */
export async function answerRead(request: ApiRequest, read: () => Promise<void>): Promise<void> {
  try {
    await read();
  } catch (err) {
    const failure = apiFailureOf(err);
    if (!failure) throw err;
    jsonError(request.res, failure.code, failure.message);
  }
}
